//! include/calogen.h is what cbindgen makes of the crate now: a change to the C types or functions
//! without regenerating the committed header fails here. `CALOGEN_BLESS=1` rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .with_src(dir.join("src/types.rs"))
        .with_src(dir.join("src/ffi.rs"))
        .generate()
        .expect("cbindgen")
        .write(&mut fresh);
    let path = dir.join("include/calogen.h");
    if std::env::var_os("CALOGEN_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: regenerate with `CALOGEN_BLESS=1 cargo test -p calogen-capi --test header`",
        path.display()
    );
}
