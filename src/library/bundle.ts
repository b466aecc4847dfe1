/**
 * The certificate bundle a library imports (what `qkmcmds certs library-bundle` writes):
 * the appliance CA to trust, and the library's client certificate and key. The library's
 * name is its certificate's CN, since that is who the key server takes it for.
 */
import { X509Certificate } from 'node:crypto';
import { t as listTar } from 'tar';
import { BUNDLE_ENTRIES } from '../pki/index.js';
import { LibraryError, unreadable } from './errors.js';

const ADMIN = "the key server's administrator";

export interface LibraryCredentials {
  /** The library, as its certificate names it. */
  library: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export async function readBundle(file: string): Promise<LibraryCredentials> {
  const entries = new Map<string, Buffer>();
  try {
    await listTar({
      file,
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => entries.set(entry.path, Buffer.concat(chunks)));
      },
    });
  } catch (e) {
    throw new LibraryError('LIBRARY_BUNDLE', `Cannot read the certificate bundle ${file} (${unreadable(e)}); give bundle the library's bundle from ${ADMIN}.`, { cause: e, params: { file, reason: unreadable(e) } });
  }
  const part = (name: string): Buffer => {
    const data = entries.get(name);
    if (data === undefined) {
      throw new LibraryError('LIBRARY_BUNDLE', `The certificate bundle ${file} holds no ${name}; ask ${ADMIN} for a new one.`, { params: { file } });
    }
    return data;
  };
  const ca = part(BUNDLE_ENTRIES.caCert);
  const cert = part(BUNDLE_ENTRIES.clientCert);
  const key = part(BUNDLE_ENTRIES.clientKey);
  let library: string | undefined;
  try {
    library = new X509Certificate(cert).subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3);
  } catch (e) {
    throw new LibraryError('LIBRARY_BUNDLE', `The client certificate in ${file} cannot be read; ask ${ADMIN} for a new bundle.`, { cause: e, params: { file } });
  }
  if (!library) throw new LibraryError('LIBRARY_BUNDLE', `The client certificate in ${file} names no library; ask ${ADMIN} for a new bundle.`, { params: { file } });
  return { library, ca, cert, key };
}
