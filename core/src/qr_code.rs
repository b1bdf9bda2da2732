//! A student's QR code, which staff scan at check-in (QR Codes, if enabled).
//!
//! The family sees the code on every view of My Account, yet the database keeps only its SHA-256
//! (as for link tokens): a copy of the database must not be a key to every student. So the code is
//! not stored but derived: HMAC-SHA256 under a key from the server's secret, over the student and a
//! random nonce kept in the student's row. Showing it again recomputes it; rotating draws a new
//! nonce, and the old code's hash then matches no row.

use base64ct::{Base64UrlUnpadded as B64URL, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The random nonce of a student's code (128 bits), base64url.
pub const NONCE_BYTES: usize = 16;
/// A code is the first 128 bits of its HMAC: 22 characters of base64url.
const CODE_BYTES: usize = 16;
const CODE_CHARS: usize = 22;

/// The key codes are derived under, itself derived from the server's secret so that it is no
/// other use's key.
#[derive(Clone)]
pub struct QrCodeKey(Hmac<Sha256>);

impl QrCodeKey {
    pub fn new(server_secret: &[u8]) -> Self {
        let key = keyed(server_secret).chain_update(b"portal-access student QR codes").finalize().into_bytes();
        QrCodeKey(keyed(&key))
    }

    /// The code a student's row with this nonce stands for.
    pub fn code(&self, student_id: &str, nonce: &str) -> String {
        let mac = self.0.clone().chain_update(format!("qr:{student_id}:{nonce}")).finalize().into_bytes();
        B64URL::encode_string(&mac[..CODE_BYTES])
    }
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// What the database keeps of a code: its hex SHA-256.
pub fn hash(code: &str) -> String {
    crate::link_token::hash(code)
}

/// A code as staff scanned it (from a URL): not trusted until it is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedCode(pub String);

impl From<String> for ScannedCode {
    fn from(s: String) -> Self {
        ScannedCode(s)
    }
}

/// Only a string shaped like one of our codes is looked up.
pub fn looks_valid(code: &str) -> bool {
    code.len() == CODE_CHARS && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The QR symbol of a URL as SVG, one unit per module (the page sizes it), with the quiet zone.
pub fn svg(url: &str) -> Result<String, QrCodeError> {
    let symbol = qrcode::QrCode::new(url.as_bytes()).map_err(|_| QrCodeError::TooLong)?;
    Ok(symbol.render::<qrcode::render::svg::Color>().module_dimensions(1, 1).build())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrCodeError {
    #[error("This organization does not show QR codes.")]
    Disabled,
    #[error("There is no such QR code: it may have been replaced by a new one.")]
    NotFound,
    /// Only for a deployment URL far longer than any real one.
    #[error("The QR code's URL is too long to draw.")]
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> QrCodeKey {
        QrCodeKey::new(&[7u8; 64])
    }

    #[test]
    fn the_same_student_and_nonce_give_the_same_code() {
        assert_eq!(key().code("stu_1", "n1"), key().code("stu_1", "n1"));
        assert!(looks_valid(&key().code("stu_1", "n1")));
    }

    #[test]
    fn a_new_nonce_or_another_student_or_secret_gives_another_code() {
        let code = key().code("stu_1", "n1");
        assert_ne!(code, key().code("stu_1", "n2"));
        assert_ne!(code, key().code("stu_2", "n1"));
        assert_ne!(code, QrCodeKey::new(&[8u8; 64]).code("stu_1", "n1"));
    }

    /// The dark modules of our SVG (`M{x} {y}h{w}v{h}H{x}V{y}` rectangles), drawn 4 pixels a module
    /// and read back by a QR reader.
    fn read_back(svg: &str) -> String {
        let size: usize = svg.split("width=\"").nth(1).and_then(|s| s.split('"').next()).and_then(|s| s.parse().ok()).unwrap();
        let path = svg.split(" d=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
        let mut dark = vec![false; size * size];
        for rect in path.split('M').filter(|r| !r.is_empty()) {
            let n: Vec<usize> = rect.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
            let (x, y, w, h) = (n[0], n[1], n[2], n[3]);
            for yy in y..y + h {
                for xx in x..x + w {
                    dark[yy * size + xx] = true;
                }
            }
        }
        let scale = 4;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(size * scale, size * scale, |x, y| {
            if dark[(y / scale) * size + x / scale] { 0 } else { 255 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_svg_carries_the_url() {
        let url = format!("https://portal.example/office/acme/qr/{}", key().code("stu_1", "n1"));
        let svg = svg(&url).unwrap();
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"));
        assert_eq!(read_back(&svg), url);
    }

    #[test]
    fn only_code_shaped_strings_are_looked_up() {
        assert!(!looks_valid(&"a".repeat(21)));
        assert!(!looks_valid(&"a".repeat(43)));
        assert!(!looks_valid(&format!("{}/", "a".repeat(21))));
    }
}
