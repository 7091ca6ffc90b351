/** Looking inside a private key file without decrypting it: does it need a passphrase? */

/** Whether a private key file needs a passphrase (PEM `ENCRYPTED` header or an OpenSSH cipher). */
export function keyIsEncrypted(key: Buffer): boolean {
  return (
    /Proc-Type: 4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(key.subarray(0, 400).toString('latin1')) ||
    isEncryptedOpenSsh(key)
  )
}

/** An OpenSSH-format key names its cipher in the base64 body ("none" when unencrypted). */
function isEncryptedOpenSsh(pem: Buffer): boolean {
  const text = pem.toString('latin1')
  if (!text.includes('BEGIN OPENSSH PRIVATE KEY')) return false
  const body = Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  // "openssh-key-v1\0" then uint32 length + cipher name.
  const off = 15
  if (body.length < off + 4) return false
  const len = body.readUInt32BE(off)
  return body.subarray(off + 4, off + 4 + len).toString('latin1') !== 'none'
}
