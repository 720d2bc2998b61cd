//! The set-up script's detection of libclang (`scripts/find-libclang.sh`), which decides whether
//! `make` installs `libclang-dev`: it must accept exactly the libraries RocksDB's bindgen
//! (through clang-sys) loads, and nothing else whose name merely starts with `libclang`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs the detection over a fake filesystem root holding `libraries` under `dir`; the path it
/// found, if any.
fn detect(dir: &str, libraries: &[&str]) -> Option<PathBuf> {
    let root = tempfile::tempdir().unwrap();
    let lib_dir = root.path().join(dir);
    std::fs::create_dir_all(&lib_dir).unwrap();
    for library in libraries {
        std::fs::write(lib_dir.join(library), b"").unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/find-libclang.sh");
    let output = Command::new("bash").arg(&script).arg("--root").arg(root.path()).output().unwrap();
    let found = String::from_utf8(output.stdout).unwrap();
    match output.status.code() {
        Some(0) => {
            let found = PathBuf::from(found.trim());
            assert!(found.starts_with(root.path()), "found {} outside the fake root", found.display());
            Some(found.strip_prefix(root.path()).unwrap().to_path_buf())
        }
        Some(1) => {
            assert!(found.is_empty(), "printed {found:?} but reported nothing found");
            None
        }
        other => panic!("the script failed ({other:?}): {}", String::from_utf8_lossy(&output.stderr)),
    }
}

#[test]
fn the_cpp_interface_library_alone_is_not_libclang() {
    // What Debian's machine image ships: libclang-cpp14 without libclang.
    assert_eq!(detect("usr/lib/llvm-14/lib", &["libclang-cpp.so.14"]), None);
    assert_eq!(detect("usr/lib/x86_64-linux-gnu", &["libclang-cpp.so.14", "libclang-cpp.so"]), None);
    assert_eq!(detect("usr/lib", &["libclangBasic.so", "libclang.a", "libclang-14.so.bak"]), None);
}

#[test]
fn every_name_clang_sys_loads_is_found() {
    for (dir, library) in [
        ("usr/lib/llvm-14/lib", "libclang-14.so.1"),
        ("usr/lib/llvm-14/lib", "libclang.so"),
        ("usr/lib/llvm-16/lib", "libclang-16.so"),
        ("usr/lib/x86_64-linux-gnu", "libclang.so.1"),
        ("usr/lib/llvm-14/lib", "libclang-14.0.6.so"),
        ("usr/local/lib", "libclang.so.18.1"),
    ] {
        let found = detect(dir, &["libclang-cpp.so.14", library]);
        assert_eq!(found, Some(Path::new(dir).join(library)), "{library} in {dir}");
    }
}

#[test]
fn an_empty_machine_has_no_libclang() {
    assert_eq!(detect("usr/lib", &[]), None);
}
