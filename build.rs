//! Validates `src/openapi.json` at compile time and embeds it minified.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=src/openapi.json");
    let source = fs::read_to_string("src/openapi.json").expect("src/openapi.json is readable");
    let doc: serde_json::Value = serde_json::from_str(&source).expect("src/openapi.json is valid JSON");
    assert_eq!(doc["openapi"], "3.1.0", "src/openapi.json is an OpenAPI 3.1 document");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("openapi.min.json");
    fs::write(out, serde_json::to_string(&doc).expect("serialisable")).expect("OUT_DIR is writable");
}
