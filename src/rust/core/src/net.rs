//! Network interface addresses, for choosing the address remote workers dial.

use std::net::Ipv4Addr;

/// IPv4 addresses of interfaces that are up, with the interface name and
/// whether it is a loopback interface, in the order the system lists them.
pub fn interface_ipv4() -> Vec<(String, Ipv4Addr, bool)> {
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
            if !up
                || entry.ifa_addr.is_null()
                || (*entry.ifa_addr).sa_family as i32 != libc::AF_INET
            {
                continue;
            }
            let address = &*(entry.ifa_addr as *const libc::sockaddr_in);
            let ip = Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr));
            let name = std::ffi::CStr::from_ptr(entry.ifa_name)
                .to_string_lossy()
                .into_owned();
            let loopback = entry.ifa_flags & libc::IFF_LOOPBACK as libc::c_uint != 0;
            out.push((name, ip, loopback));
        }
        libc::freeifaddrs(list);
    }
    out
}

/// The first non-loopback IPv4 address of an interface that is up, or the
/// loopback address when there is none.
pub fn default_ipv4() -> Ipv4Addr {
    interface_ipv4()
        .into_iter()
        .find(|(_, _, loopback)| !loopback)
        .map(|(_, ip, _)| ip)
        .unwrap_or(Ipv4Addr::LOCALHOST)
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_listed() {
        let all = super::interface_ipv4();
        assert!(all.iter().any(|(_, ip, lo)| *lo && ip.is_loopback()));
        let _ = super::default_ipv4();
    }
}
