//! What a connection may cost the node (`tidepool_api::connections`): a client that sends
//! nothing, a request's head slowly, or half a body is cut off after the time limit; past the cap
//! on connections, new ones wait until one closes; a response that streams is never cut off.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tidepool_api::connections::ConnectionLimits;
use tidepool_node::{Node, NodeConfig};

/// Longer than any limit below: a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(20);

/// A dev node served within `limits` on a free loopback port; the server stops when the
/// returned sender is dropped.
fn serve_within(limits: ConnectionLimits) -> (String, tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<()>) {
    let node = Node::open(NodeConfig::dev()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let shutdown = async {
            let _ = stopped.await;
        };
        runtime.block_on(tidepool_api::server::serve_within(listener, node, None, limits, shutdown)).unwrap();
    });
    (address, stop, server)
}

fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads until the node closes the connection (or [`PATIENCE`] passes, which panics): what it
/// sent, and how long it took.
fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
    let began = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(error) => panic!("the node kept the connection open past {PATIENCE:?}: {error}"),
        }
    }
    (String::from_utf8_lossy(&answer).into_owned(), began.elapsed())
}

/// Reads one whole answer with a `Content-Length` (enough for `/health`).
fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !is_whole(&answer) {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "the node closed the connection mid-answer: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn is_whole(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    body.len() >= length
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn clients_that_send_too_slowly_are_cut_off_and_streams_are_not() {
    let limit = Duration::from_millis(500);
    let limits = ConnectionLimits { head_timeout: limit, body_idle_timeout: limit, max_connections: 64 };
    let (address, stop, server) = serve_within(limits);

    // Sends nothing.
    let (_, after) = read_to_close(&mut connect(&address));
    assert!(after >= limit, "closed after {after:?}");
    // Half a head.
    let mut slow = connect(&address);
    slow.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
    let (answer, after) = read_to_close(&mut slow);
    assert!(after >= limit && !answer.contains("200 OK"), "{answer:?} after {after:?}");
    // Idle after an answer (keep-alive): served, then closed.
    let mut idle = connect(&address);
    idle.write_all(HEALTH).unwrap();
    assert!(read_answer(&mut idle).starts_with("HTTP/1.1 200"));
    let (rest, after) = read_to_close(&mut idle);
    assert!(rest.is_empty() && after >= limit - Duration::from_millis(50), "{rest:?} after {after:?}");
    // Half a body: the request fails with a 408 that says why, and nothing was done.
    let mut half = connect(&address);
    half.write_all(
        b"POST /dev/mine HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"blo",
    )
    .unwrap();
    let (answer, _) = read_to_close(&mut half);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout") && answer.contains("body stopped arriving"), "{answer}");
    let mut check = connect(&address);
    check.write_all(HEALTH).unwrap();
    assert!(read_answer(&mut check).contains("\"height\":0"), "the half request mined a block");

    // A stream sends for as long as it likes, though its client sends nothing more.
    let mut stream = connect(&address);
    stream.write_all(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(limit * 3);
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer).unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200"), "the stream was cut off");
    drop(stop);
    server.join().unwrap();
}

#[test]
fn past_the_cap_a_connection_waits_until_one_closes() {
    let limits = ConnectionLimits {
        head_timeout: Duration::from_secs(60),
        body_idle_timeout: Duration::from_secs(60),
        max_connections: 2,
    };
    let (address, stop, server) = serve_within(limits);
    let mut first = connect(&address);
    let second = connect(&address);
    // Both are served (the first answers), so both hold a place.
    first.write_all(HEALTH).unwrap();
    assert!(read_answer(&mut first).starts_with("HTTP/1.1 200"));

    let mut third = connect(&address);
    third.write_all(HEALTH).unwrap();
    third.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut buffer = [0u8; 16];
    let waited = third.read(&mut buffer);
    assert!(waited.is_err(), "a third connection was served past a cap of two: {waited:?}");
    // One closes: the third is served.
    drop(second);
    third.set_read_timeout(Some(PATIENCE)).unwrap();
    assert!(read_answer(&mut third).starts_with("HTTP/1.1 200"));
    drop((first, third));
    drop(stop);
    server.join().unwrap();
}
