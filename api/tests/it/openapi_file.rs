//! The OpenAPI document committed for the TypeScript client (`clients/ts/openapi.json`, from
//! which `clients/ts/src/openapi.ts` is generated) is the document a dev node serves, less the
//! examples it takes from its chain. `make test` fails here when a route changed and the file was
//! not regenerated: `make openapi` rewrites both files.

use std::path::PathBuf;

#[test]
fn the_committed_document_is_the_dev_nodes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/ts/openapi.json");
    let current = serde_json::to_string_pretty(&tidepool_api::openapi::document(true)).unwrap() + "\n";
    if std::env::var_os("TIDEPOOL_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "{} is not the document the API builds: run `make openapi` (it rewrites the document and the \
         TypeScript types generated from it) and commit both",
        path.display()
    );
}
