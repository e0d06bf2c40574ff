import { z } from 'zod';

/*
 * The shape of a DSSE envelope (https://github.com/secure-systems-lab/dsse): the report carries the signed files a
 * reviewer gave the vendor (a waiver file, a challenge) exactly as they were signed, so it needs the shape here;
 * signing and checking them is src/signing's job.
 */
export const EnvelopeSchema = z.strictObject({
  payload: z.string(),
  payloadType: z.string(),
  signatures: z.array(z.strictObject({ keyid: z.string().optional(), sig: z.string() })),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** payloadType of a waiver file signed by a waiver authority (`accelcert waivers sign`) */
export const WAIVERS_PAYLOAD_TYPE = 'application/vnd.accelcert.waivers+json';
/** payloadType of a reviewer's challenge (`accelcert challenge`) */
export const CHALLENGE_PAYLOAD_TYPE = 'application/vnd.accelcert.challenge+json';
