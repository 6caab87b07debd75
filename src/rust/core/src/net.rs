//! Network interface addresses, for choosing the address remote workers dial.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address of an interface that is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddress {
    pub name: String,
    pub ip: IpAddr,
    pub loopback: bool,
}

/// Addresses of interfaces that are up: IPv4 first, then IPv6, each in the
/// order the system lists them. IPv6 link-local addresses are left out:
/// they need a scope that a URL does not carry.
pub fn interface_addresses() -> Vec<InterfaceAddress> {
    let mut out = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list that we only read
    // and then release with freeifaddrs.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return out;
        }
        let mut node = list;
        while !node.is_null() {
            let entry = &*node;
            node = entry.ifa_next;
            let up = entry.ifa_flags & libc::IFF_UP as libc::c_uint != 0;
            if !up || entry.ifa_addr.is_null() {
                continue;
            }
            let ip = match (*entry.ifa_addr).sa_family as i32 {
                libc::AF_INET => {
                    let address = &*(entry.ifa_addr as *const libc::sockaddr_in);
                    IpAddr::V4(Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr)))
                }
                libc::AF_INET6 => {
                    let address = &*(entry.ifa_addr as *const libc::sockaddr_in6);
                    let ip = Ipv6Addr::from(address.sin6_addr.s6_addr);
                    if ip.segments()[0] & 0xffc0 == 0xfe80 {
                        continue;
                    }
                    IpAddr::V6(ip)
                }
                _ => continue,
            };
            let name = std::ffi::CStr::from_ptr(entry.ifa_name)
                .to_string_lossy()
                .into_owned();
            let loopback = entry.ifa_flags & libc::IFF_LOOPBACK as libc::c_uint != 0;
            out.push(InterfaceAddress { name, ip, loopback });
        }
        libc::freeifaddrs(list);
    }
    out.sort_by_key(|a| a.ip.is_ipv6());
    out
}

/// The first non-loopback IPv4 address of an interface that is up, or the
/// loopback address when there is none.
pub fn default_ipv4() -> Ipv4Addr {
    interface_addresses()
        .into_iter()
        .filter(|a| !a.loopback)
        .find_map(|a| match a.ip {
            IpAddr::V4(ip) => Some(ip),
            IpAddr::V6(_) => None,
        })
        .unwrap_or(Ipv4Addr::LOCALHOST)
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_listed_and_ipv4_comes_first() {
        let all = super::interface_addresses();
        assert!(all.iter().any(|a| a.loopback && a.ip.is_loopback()));
        let first_v6 = all.iter().position(|a| a.ip.is_ipv6()).unwrap_or(all.len());
        assert!(all[first_v6..].iter().all(|a| a.ip.is_ipv6()));
        let _ = super::default_ipv4();
    }
}
