//! The path and query of a request URL. The runtime hands us an absolute, already valid URL; we
//! only split it, which spares the worker the weight of a full URL parser and its Unicode tables.

/// `(path, query)` of `scheme://authority/path?query#fragment`; the path is at least `/`.
pub fn split(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(url, |i| &url[i + 3..]);
    let from_path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let without_fragment = from_path.split('#').next().unwrap_or("/");
    match without_fragment.split_once('?') {
        Some((path, query)) => (path, query),
        None => (without_fragment, ""),
    }
}

/// The first value of `name` in an `application/x-www-form-urlencoded` query, decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k)? == name).then(|| percent_decode(v))
        })
        .next()
        .flatten()
}

/// Decodes `%XX` and `+`; `None` when the result is not UTF-8 or an escape is broken.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_and_query() {
        assert_eq!(split("https://p.example/office/demo/api?x=1#frag"), ("/office/demo/api", "x=1"));
        assert_eq!(split("http://127.0.0.1:8787"), ("/", ""));
        assert_eq!(split("http://h/healthz"), ("/healthz", ""));
        assert_eq!(split("http://h/?a=b?c"), ("/", "a=b?c"));
    }

    #[test]
    fn reads_and_decodes_query_values() {
        let q = "to=ann%40example.com&status=invite_sent&name=Ann+Lee&empty=";
        assert_eq!(query_param(q, "to").as_deref(), Some("ann@example.com"));
        assert_eq!(query_param(q, "name").as_deref(), Some("Ann Lee"));
        assert_eq!(query_param(q, "empty").as_deref(), Some(""));
        assert_eq!(query_param(q, "missing"), None);
        assert_eq!(query_param("a=%E2%9C%93", "a").as_deref(), Some("✓"));
    }

    #[test]
    fn broken_escapes_are_not_values() {
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
