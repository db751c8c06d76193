import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { isIP, isIPv4 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  ia5String,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

/** A certificate authority for local HTTPS: PEM strings only, so it can cross process boundaries. */
export interface TestCa {
  certPem: string;
  keyPem: string;
}

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

const DAY_MS = 86_400_000;

function name(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  // IPv6: expand "::" and write eight 16-bit groups.
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => {
    bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  });
  return bytes;
}

function subjectAltNames(hosts: readonly string[]): Buffer {
  return sequence(
    ...hosts.map((host) =>
      isIP(host) ? implicitPrimitive(7, ipBytes(host)) : implicitPrimitive(2, ia5String(host).subarray(2)),
    ),
  );
}

interface CertificateSpec {
  subject: string;
  issuer: string;
  subjectPublicKey: KeyObject;
  issuerPublicKey: KeyObject;
  issuerPrivateKey: KeyObject;
  validDays: number;
  extensions: Buffer[];
}

function buildCertificate(spec: CertificateSpec): string {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  // Back-dated an hour so small clock differences between processes never make it "not yet valid".
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + spec.validDays * DAY_MS);
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    signatureAlgorithm,
    name(spec.issuer),
    sequence(time(notBefore), time(notAfter)),
    name(spec.subject),
    spec.subjectPublicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        ...spec.extensions,
        extension(OID.subjectKeyIdentifier, false, octetString(keyId(spec.subjectPublicKey))),
        extension(
          OID.authorityKeyIdentifier,
          false,
          sequence(implicitPrimitive(0, keyId(spec.issuerPublicKey))),
        ),
      ),
    ),
  );
  const signature = sign('sha256', tbs, spec.issuerPrivateKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function newKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  // P-256: key generation takes about a millisecond, where RSA-2048 takes tens.
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A new self-signed CA (ECDSA P-256) for local HTTPS servers. */
export function createTestCa(options: { commonName?: string; validDays?: number } = {}): TestCa {
  const { publicKey, privateKey } = newKeyPair();
  const commonName = options.commonName ?? 'ucwa-gatekeeper local test CA';
  const certPem = buildCertificate({
    subject: commonName,
    issuer: commonName,
    subjectPublicKey: publicKey,
    issuerPublicKey: publicKey,
    issuerPrivateKey: privateKey,
    validDays: options.validDays ?? 30,
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true), smallInteger(0))),
      // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110 with one unused bit.
      extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
    ],
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A server certificate for `hosts` (names and IP addresses) signed by `ca`. */
export function issueServerCertificate(
  ca: TestCa,
  hosts: readonly string[] = ['localhost', '127.0.0.1', '::1'],
  options: { validDays?: number } = {},
): ServerCertificate {
  const caPrivateKey = createPrivateKey(ca.keyPem);
  const caPublicKey = createPublicKey(caPrivateKey);
  const { publicKey, privateKey } = newKeyPair();
  const certPem = buildCertificate({
    subject: hosts[0] ?? 'localhost',
    issuer: commonNameOf(ca.certPem),
    subjectPublicKey: publicKey,
    issuerPublicKey: caPublicKey,
    issuerPrivateKey: caPrivateKey,
    validDays: options.validDays ?? 30,
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      // digitalSignature (bit 0): 0b1000_0000 with seven unused bits.
      extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
      extension(OID.subjectAltName, false, subjectAltNames(hosts)),
    ],
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function commonNameOf(certPem: string): string {
  const subject = new X509Certificate(certPem).subject;
  const match = /^CN=(.*)$/m.exec(subject);
  return match?.[1] ?? subject;
}
