/**
 * Which URLs a merchant may give us for redirections and webhooks. In production only https URLs
 * to public hosts are accepted; the sandbox also accepts http and loopback so a developer can
 * point a link at localhost. This is the check at creation (on the URL text); the merchant-webhook
 * sender repeats it after DNS resolution at send time.
 */
import ipaddr from 'ipaddr.js';

export type UrlPolicy = 'production' | 'sandbox';

const BLOCKED_HOSTNAMES = [/^localhost$/i, /\.localhost$/i, /\.local$/i, /\.internal$/i, /^metadata\.google\.internal$/i];

/** True when `address` is an IP literal that is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() !== 'unicast';
}

/** Returns a reason the URL is not acceptable, or undefined when it is. */
export function checkUrl(raw: string, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (policy === 'sandbox') return undefined;
  if (url.protocol !== 'https:') return 'must use https';
  // `localhost.` and `metadata.google.internal.` are the same hosts, fully qualified: compare names
  // without their trailing dots.
  const host = url.hostname.replace(/\.+$/, '');
  if (isNonPublicAddress(host)) return 'must not point to a private, loopback or link-local address';
  // Bare IPv4 forms such as 2130706433 or 0x7f.1 are normalised by URL; anything that still is not a
  // dotted name is refused rather than guessed at.
  if (BLOCKED_HOSTNAMES.some((re) => re.test(host)) || !host.includes('.')) {
    return 'must point to a public host name';
  }
  return undefined;
}
