import canonicalize from 'canonicalize';
import { WAIVERS_PAYLOAD_TYPE } from '../report/envelope.js';
import type { Report } from '../report/schema.js';
import { devicesGlobProblem, waiverFileProblem } from '../report/waivers.js';
import { openDocument } from '../signing/document.js';
import type { TrustedKey } from '../signing/keyring.js';

/** Whether a reviewer honours one of a report's waivers, and why (one clause). */
export interface WaiverTrust {
  id: string;
  trusted: boolean;
  /** "signed by waiver authority <fp> (<source>)" or why it is not honoured */
  why: string;
  /** fingerprint of the waiver authority whose signature covers it, or null */
  authority: string | null;
}

/**
 * Which of a report's waivers a reviewer honours: only those in a waiver file signed by a key trusted for waivers
 * (`verify --waiver-key`), never by the key that signed the report (a vendor cannot waive its own failures), and
 * only with a devices glob that names a device. Every other waiver is listed as not honoured, with the reason.
 */
export function waiverTrust(report: Report, waiverKeys: readonly TrustedKey[], reportSigner: string | null): WaiverTrust[] {
  if (report.waivers.length === 0) return [];
  const untrusted = (why: string): WaiverTrust[] => report.waivers.map((w) => ({ id: w.id, trusted: false, why, authority: null }));
  if (!report.signedWaivers) return untrusted('unsigned: no waiver authority signed the waiver file');
  if (waiverKeys.length === 0) return untrusted('signed, but you trust no waiver authority (--waiver-key)');
  const opened = openDocument(report.signedWaivers, WAIVERS_PAYLOAD_TYPE, waiverKeys);
  if ('problem' in opened) return untrusted(`its signed waiver file is not honoured: ${opened.problem}`);
  const { signer } = opened;
  if (signer.fingerprint === reportSigner) {
    return untrusted(`its waiver file is signed by the key that signed the report (${signer.fingerprint}): a vendor cannot waive its own failures`);
  }
  const signed = waiverFileProblem(opened.value);
  if (typeof signed === 'string') return untrusted(`its signed waiver file is not a waiver file: ${signed.replace(/^[,:] /, '')}`);
  const granted = new Set(signed.map((w) => canonicalize(w)));
  return report.waivers.map((w) => {
    const { matched: _matched, ...waiver } = w;
    const glob = devicesGlobProblem(w.devices);
    if (glob) return { id: w.id, trusted: false, why: glob, authority: null };
    if (!granted.has(canonicalize(waiver))) return { id: w.id, trusted: false, why: 'not in the signed waiver file (added or edited after signing)', authority: null };
    return { id: w.id, trusted: true, why: `signed by waiver authority ${signer.fingerprint} (${signer.source})`, authority: signer.fingerprint };
  });
}
