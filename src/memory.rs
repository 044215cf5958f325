//! Process memory housekeeping between the phases of a long run.

/// Returns the heap memory freed so far to the operating system.
///
/// glibc keeps freed memory in its per-thread arenas; after a harvest's bulk
/// load (a million quads in flight, built on one thread and freed on another)
/// that kept memory was measured at ~600 MiB of RSS, which the next phase then
/// stacked its own peak upon. `malloc_trim` releases every arena's free pages.
/// A no-op where the C library is not glibc.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arena lists under their locks;
    // it takes no pointers from us and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
