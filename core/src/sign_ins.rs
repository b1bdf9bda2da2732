//! Sign-ins a person can see and end, and the Mobile App's long sign-in.
//!
//! Every session remembers what signed in: a browser (its User-Agent, described in a few words on
//! the list of signed-in devices) or the Mobile App. The Mobile App's access token lives 15 minutes;
//! it gets new ones with a refresh token that is single-use: a spent one presented again means it
//! was copied, so the whole sign-in ends (reuse detection, OAuth 2.0 Security BCP §4.14).

use crate::time::Timestamp;

/// What signed in: `client` in `POST /portal/{org}/api/session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInClient {
    #[default]
    Browser,
    App,
}

impl SignInClient {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInClient::Browser => "browser",
            SignInClient::App => "app",
        }
    }

    /// The stored column (its CHECK allows only these two).
    pub fn from_column(s: &str) -> Self {
        if s == "app" {
            SignInClient::App
        } else {
            SignInClient::Browser
        }
    }
}

/// How long the Mobile App's access token lives; a refresh gives a new one.
pub const APP_ACCESS_TOKEN_SECONDS: i64 = 15 * 60;

/// A stored User-Agent is cut to this many bytes (at a character boundary): enough to describe it.
pub const USER_AGENT_MAX_BYTES: usize = 256;

/// `last_seen_at` is written at most this often per session, so that reading a page costs no write.
pub const LAST_SEEN_EVERY_SECONDS: i64 = 60;

/// The User-Agent as stored: trimmed, cut to `USER_AGENT_MAX_BYTES`, none when empty.
pub fn stored_user_agent(header: Option<&str>) -> Option<String> {
    let ua = header?.trim();
    if ua.is_empty() {
        return None;
    }
    let mut end = ua.len().min(USER_AGENT_MAX_BYTES);
    while !ua.is_char_boundary(end) {
        end -= 1;
    }
    Some(ua[..end].to_string())
}

/// Whether a request now should record that the session was used (`last_seen_at`).
pub fn last_seen_is_stale(last_seen_at: Option<Timestamp>, now: Timestamp) -> bool {
    last_seen_at.is_none_or(|seen| now.millis() - seen.millis() >= LAST_SEEN_EVERY_SECONDS * 1000)
}

/// A short description of what signed in: "Mobile App", "Chrome on Android", "Safari on iPhone",
/// "Firefox on Windows"; "Unknown device" when the User-Agent says nothing we know.
pub fn describe_device(client: SignInClient, user_agent: Option<&str>) -> String {
    if client == SignInClient::App {
        return "Mobile App".to_string();
    }
    let ua = user_agent.unwrap_or("");
    match (browser(ua), platform(ua)) {
        (Some(b), Some(p)) => format!("{b} on {p}"),
        (Some(b), None) => b.to_string(),
        (None, Some(p)) => format!("Browser on {p}"),
        (None, None) => "Unknown device".to_string(),
    }
}

/// The browser, by the tokens each puts in its User-Agent; the order matters, since Edge, Opera and
/// Samsung Internet also say "Chrome", and Chrome also says "Safari".
fn browser(ua: &str) -> Option<&'static str> {
    const BROWSERS: [(&str, &str); 9] = [
        ("Edg", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ];
    BROWSERS.iter().find(|(token, _)| ua.contains(token)).map(|(_, name)| *name)
}

/// The operating system or device, likewise in order (Android says "Linux", an iPhone "Mac OS X").
fn platform(ua: &str) -> Option<&'static str> {
    const PLATFORMS: [(&str, &str); 8] = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Macintosh", "Mac"),
        ("Mac OS X", "Mac"),
        ("Linux", "Linux"),
    ];
    PLATFORMS.iter().find(|(token, _)| ua.contains(token)).map(|(_, name)| *name)
}

/// What a refresh token's row says when it is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenState {
    /// Never presented before: it may be exchanged once.
    Unspent,
    /// Already exchanged: presenting it again ends the sign-in.
    Spent,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("The refresh token is not valid. Please sign in again.")]
    Unknown,
    #[error("This refresh token was already used, so this sign-in has been ended to keep your account safe. Please sign in again.")]
    Reused,
}

/// Whether a presented refresh token may be exchanged: an unknown one is refused, a spent one ends
/// the sign-in it belongs to (the caller ends the session, then answers `Reused`).
pub fn may_refresh(state: Option<RefreshTokenState>) -> Result<(), RefreshError> {
    match state {
        None => Err(RefreshError::Unknown),
        Some(RefreshTokenState::Spent) => Err(RefreshError::Reused),
        Some(RefreshTokenState::Unspent) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const FIREFOX_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0";
    const EDGE_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0";
    const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    const CHROME_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1";
    const SAMSUNG: &str = "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36";
    const HEADLESS_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36";

    #[test]
    fn a_browser_is_described_by_its_name_and_platform() {
        assert_eq!(describe_device(SignInClient::Browser, Some(CHROME_ANDROID)), "Chrome on Android");
        assert_eq!(describe_device(SignInClient::Browser, Some(SAFARI_IPHONE)), "Safari on iPhone");
        assert_eq!(describe_device(SignInClient::Browser, Some(FIREFOX_WINDOWS)), "Firefox on Windows");
        assert_eq!(describe_device(SignInClient::Browser, Some(EDGE_WINDOWS)), "Edge on Windows");
        assert_eq!(describe_device(SignInClient::Browser, Some(SAFARI_MAC)), "Safari on Mac");
        assert_eq!(describe_device(SignInClient::Browser, Some(CHROME_IPHONE)), "Chrome on iPhone");
        assert_eq!(describe_device(SignInClient::Browser, Some(SAMSUNG)), "Samsung Internet on Android");
        assert_eq!(describe_device(SignInClient::Browser, Some(HEADLESS_LINUX)), "Chrome on Linux");
    }

    #[test]
    fn the_mobile_app_is_the_mobile_app_whatever_its_user_agent() {
        assert_eq!(describe_device(SignInClient::App, Some(CHROME_ANDROID)), "Mobile App");
        assert_eq!(describe_device(SignInClient::App, None), "Mobile App");
    }

    #[test]
    fn an_unknown_user_agent_says_so() {
        assert_eq!(describe_device(SignInClient::Browser, None), "Unknown device");
        assert_eq!(describe_device(SignInClient::Browser, Some("curl/8.5.0")), "Unknown device");
        assert_eq!(describe_device(SignInClient::Browser, Some("SomeBot (Windows NT 10.0)")), "Browser on Windows");
    }

    #[test]
    fn a_stored_user_agent_is_trimmed_and_cut_at_a_character_boundary() {
        assert_eq!(stored_user_agent(None), None);
        assert_eq!(stored_user_agent(Some("   ")), None);
        assert_eq!(stored_user_agent(Some(" curl/8 ")).as_deref(), Some("curl/8"));
        let long = "é".repeat(200); // 400 bytes
        let stored = stored_user_agent(Some(&long)).unwrap();
        assert!(stored.len() <= USER_AGENT_MAX_BYTES && stored.len() >= USER_AGENT_MAX_BYTES - 1);
        assert!(stored.chars().all(|c| c == 'é'));
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let now = Timestamp(1_800_000_000_000);
        assert!(last_seen_is_stale(None, now));
        assert!(!last_seen_is_stale(Some(Timestamp(now.millis() - 59_000)), now));
        assert!(last_seen_is_stale(Some(Timestamp(now.millis() - 60_000)), now));
    }

    #[test]
    fn a_refresh_token_is_exchanged_once_and_a_spent_one_is_reuse() {
        assert_eq!(may_refresh(Some(RefreshTokenState::Unspent)), Ok(()));
        assert_eq!(may_refresh(Some(RefreshTokenState::Spent)), Err(RefreshError::Reused));
        assert_eq!(may_refresh(None), Err(RefreshError::Unknown));
    }

    #[test]
    fn the_app_access_token_lives_fifteen_minutes() {
        assert_eq!(APP_ACCESS_TOKEN_SECONDS, 900);
    }
}
