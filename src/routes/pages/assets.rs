//! The static files: ours (the CSP allows no inline style or script), each named by a hash of its
//! content so browsers may keep it for a year and still get a changed one at once.

use crate::error::{ApiError, ApiResult};
use crate::http::{get, Router, response::{self}, Response, Path,
    PathParam,
};

/// Each door serves the files of its own pages (the shared stylesheet under both): the Office
/// Portal's pages must not depend on a path the Customer Portal's switch guards, and each Worker
/// carries only its own door's files.
pub fn portal_routes(router: Router) -> Router {
    router.route("/portal/static/:file", get(portal_asset))
}

pub fn office_routes(router: Router) -> Router {
    router.route("/office/static/:file", get(office_asset))
}

pub struct StaticFile {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static str,
    version: u32,
}

impl StaticFile {
    const fn new(stem: &'static str, extension: &'static str, content_type: &'static str, body: &'static str) -> Self {
        StaticFile { stem, extension, content_type, body, version: fnv1a(body.as_bytes()) }
    }

    fn file_name(&self) -> String {
        format!("{}.{:08x}.{}", self.stem, self.version, self.extension)
    }

    /// Its address under a door (`portal` or `office`), for a page to link.
    pub fn url(&self, door: &str) -> String {
        format!("/{door}/{STATIC_SEGMENT}/{}", self.file_name())
    }
}

pub const STYLESHEET: StaticFile =
    StaticFile::new("portal", "css", "text/css; charset=utf-8", include_str!("../../../templates/portal/portal.css"));
/// What only the Office Portal's pages need (its navigation, tables), after the shared stylesheet.
pub const OFFICE_STYLESHEET: StaticFile =
    StaticFile::new("office", "css", "text/css; charset=utf-8", include_str!("../../../templates/office/office.css"));
/// Moves the Import Progress bar while the job runs (the page also refreshes itself without it).
pub const IMPORT_PROGRESS_SCRIPT: StaticFile = StaticFile::new(
    "import-progress",
    "js",
    "text/javascript; charset=utf-8",
    include_str!("../../../templates/office/import-progress.js"),
);
/// Mounts the payment gateway's card element on Add Payment Method (production only).
pub const CARD_ELEMENT_SCRIPT: StaticFile = StaticFile::new(
    "add-payment-method",
    "js",
    "text/javascript; charset=utf-8",
    include_str!("../../../templates/portal/add-payment-method.js"),
);

const fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}

/// The segment after `/portal/` (and `/office/`) that holds the static files. `static` is a reserved slug, so no
/// organization can be named by it; the portal gate lets it through.
pub const STATIC_SEGMENT: &str = "static";

/// A file name under `/portal/static/`.
pub struct AssetName(String);

impl From<String> for AssetName {
    fn from(s: String) -> Self {
        AssetName(s)
    }
}

impl PathParam for AssetName {
    const NAME: &'static str = "file";
}

async fn portal_asset(Path(AssetName(file)): Path<AssetName>) -> ApiResult<Response> {
    serve(&[&STYLESHEET, &CARD_ELEMENT_SCRIPT], &file)
}

async fn office_asset(Path(AssetName(file)): Path<AssetName>) -> ApiResult<Response> {
    serve(&[&STYLESHEET, &OFFICE_STYLESHEET, &IMPORT_PROGRESS_SCRIPT], &file)
}

fn serve(files: &[&StaticFile], file: &str) -> ApiResult<Response> {
    let Some(found) = files.iter().find(|f| f.file_name() == file) else {
        return Err(ApiError::route_not_found());
    };
    response::with_headers(
        200,
        found.body.as_bytes(),
        &[
            ("content-type", found.content_type),
            ("cache-control", "public, max-age=31536000, immutable"),
            ("x-content-type-options", "nosniff"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn hashes_like_fnv1a() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }
}
