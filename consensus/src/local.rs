//! Addresses for validators on one machine (tests, benchmarks): free ports on 127.0.0.1 that a
//! validator can bind, and bind again after it restarts.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The first port tried. The range stays below Linux's ephemeral ports (32768–60999 by default).
const FIRST_PORT: usize = 20_000;
/// How many ports there are to try, from [`FIRST_PORT`] up.
const PORT_SPAN: usize = 12_000;

/// `n` distinct free TCP addresses on 127.0.0.1, for validators running on this machine.
///
/// They are below the ephemeral range because a validator that stops and starts again binds its
/// address again, and meanwhile a port from that range may have become the local port of an
/// outgoing connection (the others dialling the stopped validator): the restart would fail with
/// "address in use". Each port is held until all `n` are picked, then closed for the validators
/// to bind. One process tries the ports in turn across calls (wrapping around only after all
/// 12,000), so callers side by side never get the same one; other processes start elsewhere in
/// the range (by process id).
///
/// # Errors
/// [`io::ErrorKind::AddrNotAvailable`] if fewer than `n` ports of the range are free.
pub fn free_local_addresses(n: usize) -> io::Result<Vec<SocketAddr>> {
    /// How many ports this process has tried.
    static TRIED: AtomicUsize = AtomicUsize::new(0);
    let start = std::process::id() as usize * 389;
    let held: Vec<TcpListener> = std::iter::repeat_with(|| TRIED.fetch_add(1, Ordering::Relaxed))
        .take(PORT_SPAN)
        .filter_map(|k| u16::try_from(FIRST_PORT + (start + k) % PORT_SPAN).ok())
        .filter_map(|port| TcpListener::bind((Ipv4Addr::LOCALHOST, port)).ok())
        .take(n)
        .collect();
    if held.len() < n {
        let message =
            format!("only {} of {n} ports from {FIRST_PORT} to {} are free", held.len(), FIRST_PORT + PORT_SPAN);
        return Err(io::Error::new(io::ErrorKind::AddrNotAvailable, message));
    }
    held.iter().map(TcpListener::local_addr).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_loopback_ports_below_the_ephemeral_range() {
        let first = free_local_addresses(4).unwrap();
        let second = free_local_addresses(4).unwrap();
        let mut ports: Vec<u16> = first.iter().chain(&second).map(SocketAddr::port).collect();
        assert!(first.iter().chain(&second).all(|a| a.ip() == Ipv4Addr::LOCALHOST));
        assert!(ports.iter().all(|&p| (20_000..32_768).contains(&p)), "{ports:?}");
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 8, "no port handed out twice");
        // Each is free again once returned: a validator can bind it.
        assert!(first.iter().all(|&a| TcpListener::bind(a).is_ok()));
    }
}
