//! Network interface addresses, for choosing the address remote workers dial.

use std::net::IpAddr;

pub use crate::os::InterfaceAddress;

/// Addresses of interfaces that are up: IPv4 first, then IPv6, each in the
/// order the system lists them. IPv6 link-local addresses are left out:
/// they need a scope that a URL does not carry.
pub fn interface_addresses() -> Vec<InterfaceAddress> {
    let mut out: Vec<InterfaceAddress> = crate::os::interface_addresses()
        .into_iter()
        .filter(|a| !matches!(a.ip, IpAddr::V6(ip) if ip.segments()[0] & 0xffc0 == 0xfe80))
        .collect();
    out.sort_by_key(|a| a.ip.is_ipv6());
    out
}

/// Whether other machines on the internet could reach `ip`: not loopback,
/// private (RFC 1918, carrier-grade NAT, IPv6 unique local), link-local,
/// unspecified, or in a range that is never routed (documentation,
/// benchmarking, reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, c, _] = ip.octets();
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 2)
                || (a == 198 && b == 51 && c == 100)
                || (a == 203 && b == 0 && c == 113)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = ip.segments()[0];
                !(ip.is_loopback()
                    || ip.is_unspecified()
                    || first & 0xfe00 == 0xfc00
                    || first & 0xffc0 == 0xfe80
                    || (first == 0x2001 && ip.segments()[1] == 0x0db8))
            }
        },
    }
}

/// The public addresses `host` (an IP address or a name) resolves to.
pub fn public_addresses(host: &str) -> Vec<IpAddr> {
    use std::net::ToSocketAddrs;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let resolved: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (host, 0)
            .to_socket_addrs()
            .map(|addresses| addresses.map(|a| a.ip()).collect())
            .unwrap_or_default(),
    };
    let mut out: Vec<IpAddr> = resolved.into_iter().filter(|ip| is_public(*ip)).collect();
    out.dedup();
    out
}

/// A listening socket on the first address of `address` that binds, with
/// `backlog` connections waiting for accept at most.
pub(crate) async fn listen(
    address: &str,
    backlog: u32,
) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for address in tokio::net::lookup_host(address).await? {
        let socket = if address.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(address).and_then(|_| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "no address to listen on",
        )
    }))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    #[test]
    fn address_classes() {
        let public = |s: &str| super::is_public(s.parse::<IpAddr>().unwrap());
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.3.4",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::",
            "192.0.2.2",
            "203.0.113.9",
            "198.18.0.1",
            "2001:db8::1",
        ] {
            assert!(!public(private), "{private}");
        }
        for address in [
            "8.8.8.8",
            "1.2.3.4",
            "2001:4860:4860::8888",
            "::ffff:8.8.4.4",
            "172.32.0.1",
        ] {
            assert!(public(address), "{address}");
        }
        assert!(super::public_addresses("localhost").is_empty());
        assert_eq!(super::public_addresses("[2001:4860::1]").len(), 1);
        assert!(super::public_addresses("[2001:db8::1]").is_empty());
    }

    #[test]
    fn loopback_is_listed_and_ipv4_comes_first() {
        let all = super::interface_addresses();
        assert!(all.iter().any(|a| a.loopback && a.ip.is_loopback()));
        let first_v6 = all.iter().position(|a| a.ip.is_ipv6()).unwrap_or(all.len());
        assert!(all[first_v6..].iter().all(|a| a.ip.is_ipv6()));
    }
}
