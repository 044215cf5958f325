//! Embeds `shapes/` and `vocab/` in the binary, so the validation profiles
//! work wherever katalog runs, and `templates/` (the web UI's pages and
//! assets), so the server needs no source tree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    collect_with(root, dir, &["ttl", "toml"], out)
}

fn collect_with(root: &Path, dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "scripts") {
                continue;
            }
            collect_with(root, &path, extensions, out);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
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
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("embedded.rs"), code).expect("OUT_DIR is writable");

    // Templates by their name under templates/ ("base.html", "steward/x.html").
    println!("cargo:rerun-if-changed=templates");
    let templates_root = root.join("templates");
    let mut templates = Vec::new();
    collect_with(
        &templates_root,
        &templates_root,
        &["html", "css", "js", "svg"],
        &mut templates,
    );
    templates.sort();
    let mut code = String::from(
        "/// Files of `templates/`: (name relative to templates/, content).\npub static TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for file in &templates {
        let name = file.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/{name}\"))),"
        );
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("templates.rs"), code).expect("OUT_DIR is writable");
}
