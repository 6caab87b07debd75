//! The little of HTTP/1.1 the dashboard speaks: it reads a request's head
//! (the body of a GET is never read), takes its method, path and token,
//! and writes responses that close the connection after them.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest request head read; a longer one is refused.
pub const HEAD_BYTES_MAX: usize = 16 * 1024;

/// What the dashboard needs of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The value of `token` in the query string, percent-decoded.
    pub token: Option<Vec<u8>>,
}

/// Why no request could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadError {
    /// The peer closed or failed before the head ended.
    Closed,
    /// The head grew past the limit.
    TooLarge,
}

/// Reads up to the blank line that ends a request's head, at most
/// `max` bytes of it. Bytes after the blank line are left unread or
/// dropped: the dashboard reads no bodies.
pub async fn read_head<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = reader.read(&mut buf).await.map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head_end(&head[searched_from..]) {
            head.truncate(searched_from + end);
            if head.len() > max {
                return Err(HeadError::TooLarge);
            }
            return Ok(head);
        }
        if head.len() > max {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Where the blank line ends in `bytes` (CRLF CRLF, or bare LF LF).
fn head_end(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find_map(|i| {
        if bytes[i..].starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if bytes[i..].starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// The request line of `head`, or `None` if it is not one.
pub fn parse(head: &[u8]) -> Option<Request> {
    let line_end = head.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&head[..line_end])
        .ok()?
        .trim_end_matches('\r');
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || method.is_empty() {
        return None;
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    };
    if !path.starts_with('/') {
        return None;
    }
    let token = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "token")
        .map(|(_, value)| percent_decode(value));
    Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        token,
    })
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Headers every response carries: nothing is cached (the URL holds the
/// token), no page may frame it, and the page may fetch from its own
/// origin alone.
const COMMON_HEADERS: &str = "Cache-Control: no-store\r\n\
X-Content-Type-Options: nosniff\r\n\
X-Frame-Options: DENY\r\n\
Referrer-Policy: no-referrer\r\n\
Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; \
style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'\r\n";

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

/// A whole response with `body`, after which the connection closes. For
/// HEAD, pass `with_body = false`: the headers still give the body's
/// length.
pub fn response(status: u16, content_type: &str, body: &[u8], with_body: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{COMMON_HEADERS}Connection: close\r\n\r\n",
        reason(status),
        body.len(),
    )
    .into_bytes();
    if with_body {
        out.extend_from_slice(body);
    }
    out
}

/// A plain-text error response.
pub fn error(status: u16) -> Vec<u8> {
    let body = format!("{status} {}\n", reason(status));
    response(status, "text/plain; charset=utf-8", body.as_bytes(), true)
}

/// The head of a server-sent events stream, which runs until either side
/// closes.
pub fn event_stream_head() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n{COMMON_HEADERS}Connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// One server-sent event carrying `data`, which must hold no line breaks
/// (the JSON writer escapes them).
pub fn event(data: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data.as_bytes());
    out.extend_from_slice(b"\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_gives_method_path_and_token() {
        let request = parse(b"GET /events?x=1&token=ab%63d HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/events");
        assert_eq!(request.token.as_deref(), Some(&b"abcd"[..]));
        let request = parse(b"HEAD / HTTP/1.0\n\n").unwrap();
        assert_eq!((request.path.as_str(), request.token), ("/", None));
    }

    #[test]
    fn what_is_not_a_request_line_is_refused() {
        for bad in [
            &b"GET\r\n\r\n"[..],
            b"GET / HTTP/2\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\n\r\n",
            b"\xff / HTTP/1.1\r\n\r\n",
            b"no line end",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_head_is_read_to_its_blank_line_and_no_further() {
        let mut input: &[u8] = b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody";
        let head = read_head(&mut input, HEAD_BYTES_MAX).await.unwrap();
        assert_eq!(head, b"GET / HTTP/1.1\r\nA: b\r\n\r\n");
        let mut unended: &[u8] = b"GET / HTTP/1.1\r\n";
        assert_eq!(
            read_head(&mut unended, HEAD_BYTES_MAX).await,
            Err(HeadError::Closed)
        );
        let long = [b"GET / HTTP/1.1\r\n".as_slice(), &[b'a'; 20_000]].concat();
        assert_eq!(
            read_head(&mut long.as_slice(), HEAD_BYTES_MAX).await,
            Err(HeadError::TooLarge)
        );
    }

    #[test]
    fn responses_state_their_length_and_close() {
        let text = String::from_utf8(response(200, "text/plain", b"hello", true)).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("Content-Length: 5\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\nhello"));
        let head = String::from_utf8(response(200, "text/plain", b"hello", false)).unwrap();
        assert!(head.ends_with("\r\n\r\n"));
        assert_eq!(event("{}"), b"data: {}\n\n");
    }
}
