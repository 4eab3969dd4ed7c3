/**
 * Electron's safeStorage replaced at the process edge: a reversible scrambling (so a test can see
 * the token never lands in a file as plain text) that records what it encrypted, and a switch for
 * machines where the OS offers no encryption.
 */
export function fakeSafeStorage(available = true) {
  const encrypted: string[] = [];
  const scramble = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0x5a));
  return {
    encrypted,
    available,
    isEncryptionAvailable() {
      return this.available;
    },
    encryptString(text: string) {
      if (!this.available) throw new Error('Encryption is not available');
      encrypted.push(text);
      return scramble(Buffer.from(`enc:${text}`, 'utf8'));
    },
    decryptString(data: Buffer) {
      const text = scramble(data).toString('utf8');
      if (!text.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString');
      return text.slice(4);
    },
  };
}
