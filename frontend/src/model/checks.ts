/** Client-side field checks: the same formats the server enforces, said before a round trip. Empty is fine. */

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

export function checkAddress(value: string): string | null {
  if (!value) return null;
  return isIPv4(value) ? null : 'An IPv4 address such as 10.1.1.2';
}

/** Address with a prefix length (`10.1.1.2/24`). */
export function checkInterfaceAddress(value: string): string | null {
  if (!value) return null;
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length || prefix === undefined || !isIPv4(address) || !/^[0-9]{1,2}$/.test(prefix) || Number(prefix) > 32)
    return 'An address with its prefix length, such as 10.1.1.2/24';
  return null;
}

export function ipToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** A network (`10.1.1.0/24`): host bits must be zero. */
export function checkNetwork(value: string): string | null {
  if (!value) return null;
  if (checkInterfaceAddress(value)) return 'A network such as 10.1.1.0/24';
  const [address, prefix] = value.split('/');
  const size = 2 ** (32 - Number(prefix));
  return ipToNumber(address) % size === 0 ? null : `Host bits are set; did you mean ${networkOf(value)}?`;
}

/** The network of an interface address: `10.1.1.7/24` -> `10.1.1.0/24`. */
export function networkOf(value: string): string {
  const [address, prefix] = value.split('/');
  const size = 2 ** (32 - Number(prefix));
  return `${numberToIp(Math.floor(ipToNumber(address) / size) * size)}/${prefix}`;
}

/** Whether `address` (with or without prefix) lies in the network of `cidr`. */
export function inSubnet(address: string, cidr: string): boolean {
  const [base, prefix] = cidr.split('/');
  const size = 2 ** (32 - Number(prefix));
  const ip = address.split('/')[0];
  return Math.floor(ipToNumber(ip) / size) === Math.floor(ipToNumber(base) / size);
}

export function checkMac(value: string): string | null {
  if (!value) return null;
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(value) ? null : 'A MAC address such as 58:9c:fc:00:00:01';
}

export function checkInterfaceName(value: string): string | null {
  if (!value) return null;
  if (value.length > 15) return 'At most 15 characters';
  return /^[A-Za-z][A-Za-z0-9_.-]*$/.test(value) ? null : 'Letters, digits, _, . and -, starting with a letter';
}

export function checkRange(min: number, max: number): (value: string) => string | null {
  return (value) => {
    if (value === '') return null;
    const n = Number(value);
    return Number.isInteger(n) && n >= min && n <= max ? null : `A whole number from ${min} to ${max}`;
  };
}
