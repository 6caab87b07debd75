//! What the dashboard answers one connection: the page, one snapshot, the
//! stream of snapshots ([`super::events`]), or an HTTP error. Only the
//! errors are given without the dashboard's token.

use super::events::events;
use super::http::{self, HeadError, HEAD_BYTES_MAX};
use super::server::{send, Shared, HEAD_TIMEOUT};
use super::token;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PAGE: &str = include_str!("page.html");

/// Sends a whole response and closes the connection, first reading a
/// little of what the peer may still send, so that closing with unread
/// bytes does not reset the connection before the response arrives.
async fn respond(mut stream: TcpStream, bytes: &[u8]) {
    if !send(&mut stream, bytes).await {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let mut left: usize = 64 * 1024;
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
}

/// Reads one request's head within the head limits and answers it.
pub(super) async fn serve(mut stream: TcpStream, shared: &Shared) {
    let head = match tokio::time::timeout(
        HEAD_TIMEOUT,
        http::read_head(&mut stream, HEAD_BYTES_MAX),
    )
    .await
    {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge)) => return respond(stream, &http::error(431)).await,
        Ok(Err(HeadError::Closed)) => return,
        Err(_) => return respond(stream, &http::error(408)).await,
    };
    let Some(request) = http::parse(&head) else {
        return respond(stream, &http::error(400)).await;
    };
    let with_body = request.method != "HEAD";
    if request.method != "GET" && with_body {
        return respond(stream, &http::error(405)).await;
    }
    let authorized = request
        .token
        .as_deref()
        .is_some_and(|given| token::matches(given, shared.token.as_bytes()));
    if !authorized {
        return respond(stream, &http::error(403)).await;
    }
    let html = "text/html; charset=utf-8";
    let json = "application/json; charset=utf-8";
    match request.path.as_str() {
        "/" => {
            respond(
                stream,
                &http::response(200, html, PAGE.as_bytes(), with_body),
            )
            .await
        }
        "/snapshot.json" => {
            let body = shared.snapshot();
            respond(
                stream,
                &http::response(200, json, body.as_bytes(), with_body),
            )
            .await
        }
        "/events" if with_body => events(stream, shared).await,
        _ => respond(stream, &http::error(404)).await,
    }
}
