//! Embeds `shapes/` and `vocab/` in the binary, so the validation profiles
//! work wherever katalog runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "scripts") {
                continue;
            }
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "ttl" || e == "toml") {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    for dir in ["shapes", "vocab"] {
        println!("cargo:rerun-if-changed={dir}");
        collect(&root, &root.join(dir), &mut files);
    }
    files.sort();
    let mut code = String::from("/// Files of `shapes/` and `vocab/`: (path relative to the crate, content).\npub static EMBEDDED: &[(&str, &str)] = &[\n");
    for file in &files {
        let name = file.to_string_lossy().replace('\\', "/");
        // Resolved when the crate compiles, not when this script ran: the
        // script's output outlives a move of the checkout (CI reuses one target
        // directory for clones in different places).
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{name}\"))),"
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
