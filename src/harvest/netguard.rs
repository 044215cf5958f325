//! The network guard: a harvest only reaches public addresses unless its
//! source allows private networks. Checked after DNS resolution, on every
//! connection (redirects and followed links included), so DNS rebinding cannot
//! slip a private address past it.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

/// Why an address is not public, or `None` for a public address.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_reason(v4);
            }
            let segments = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if segments[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if segments[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
                Some("documentation")
            } else if segments[0] == 0x0064 && segments[1] == 0xff9b {
                // NAT64 embeds an IPv4 address in the last 32 bits.
                let v4 = Ipv4Addr::new(
                    (segments[6] >> 8) as u8,
                    segments[6] as u8,
                    (segments[7] >> 8) as u8,
                    segments[7] as u8,
                );
                v4_reason(v4)
            } else {
                None
            }
        }
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let octets = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() || octets[0] == 0 {
        Some("unspecified")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if octets[0] == 100 && (64..128).contains(&octets[1]) {
        Some("private (carrier-grade NAT)")
    } else if ip.is_broadcast()
        || ip.is_multicast()
        || octets[0] >= 240
        || ip.is_documentation()
        || (octets[0] == 198 && (octets[1] & 0xfe) == 18)
    {
        Some("reserved")
    } else {
        None
    }
}

/// Refuses an IP literal host that is not public.
pub fn check_host(url: &url::Url) -> Result<(), String> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(domain)) => {
            if domain.eq_ignore_ascii_case("localhost") || domain.ends_with(".localhost") {
                return Err(format!(
                    "{url}: host {domain} is a loopback name; set allow_private_network = true on the source to harvest it"
                ));
            }
            return Ok(());
        }
        None => return Err(format!("{url}: no host")),
    };
    match non_public_reason(ip) {
        Some(reason) => Err(format!(
            "{url}: address {ip} is {reason}; set allow_private_network = true on the source to harvest it"
        )),
        None => Ok(()),
    }
}

/// A resolver that drops non-public addresses, and fails when none is left.
#[derive(Debug, Clone, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let lookup = host.clone();
            let addrs: Vec<SocketAddr> =
                tokio::task::spawn_blocking(move || (lookup.as_str(), 0).to_socket_addrs())
                    .await
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
                    .collect();
            let mut refused = Vec::new();
            let public: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|addr| match non_public_reason(addr.ip()) {
                    Some(reason) => {
                        refused.push(format!("{} ({reason})", addr.ip()));
                        false
                    }
                    None => true,
                })
                .collect();
            if public.is_empty() {
                let message = format!(
                    "host {host} resolves only to non-public addresses [{}]; set allow_private_network = true on the source to harvest it",
                    refused.join(", ")
                );
                return Err(message.into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(non_public_reason(ip).is_some(), "{private} passed");
        }
        for public in ["193.156.1.1", "8.8.8.8", "2a00:1450:4001::1"] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(non_public_reason(ip), None, "{public} refused");
        }
    }

    #[test]
    fn refuses_private_literal_hosts() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://localhost/x",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(check_host(&url::Url::parse(url).unwrap()).is_err(), "{url}");
        }
        assert!(check_host(&url::Url::parse("https://data.norge.no/x").unwrap()).is_ok());
    }
}
