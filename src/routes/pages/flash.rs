//! The one-shot message a page shows after a redirect (Post/Redirect/Get): "The invitation e-mail
//! has been sent." Each front door declares its own messages with `flashes!`.

/// Long enough to survive the redirect, short enough not to greet someone the next day.
pub const FLASH_SECONDS: i64 = 60;

/// Declares a door's messages: an enum `Flash` whose cookie carries only a code, never text (so
/// the cookie cannot put words on our pages), scoped to `/{door}/{org}`, and the extractor
/// `FlashIn` for the message the previous response left.
macro_rules! flashes {
    (cookie = $cookie:literal, door = $door:literal; $($name:ident = $code:literal => $message:expr,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Flash {
            $($name,)*
        }

        impl Flash {
            const ALL: &'static [Flash] = &[$(Flash::$name,)*];
            const COOKIE: &'static str = $cookie;

            fn code(self) -> &'static str {
                match self {
                    $(Flash::$name => $code,)*
                }
            }

            pub fn message(self) -> &'static str {
                match self {
                    $(Flash::$name => $message,)*
                }
            }

            /// The cookie that carries this message to the next page.
            pub fn cookie(self, org: &str) -> String {
                $crate::http::session_cookie(
                    Self::COOKIE,
                    self.code().to_string(),
                    format!("/{}/{org}", $door),
                    $crate::routes::pages::flash::FLASH_SECONDS,
                )
            }

            /// The cookie that spends a shown message.
            pub fn spent(org: &str) -> String {
                $crate::http::cleared_cookie(Self::COOKIE, format!("/{}/{org}", $door))
            }
        }

        /// The one-shot message the previous response left, if any.
        pub struct FlashIn(pub Option<Flash>);

        impl $crate::http::FromRequest for FlashIn {
            async fn from_request(parts: &mut $crate::http::RequestParts) -> $crate::error::ApiResult<Self> {
                let code = parts.header("cookie").and_then(|c| $crate::http::cookies::read_cookie(&c, Flash::COOKIE));
                Ok(FlashIn(code.and_then(|code| Flash::ALL.iter().copied().find(|f| f.code() == code))))
            }
        }
    };
}
pub(crate) use flashes;
