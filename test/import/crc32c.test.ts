/** CRC-32C and TFRecord's masked form, against published check values and TensorFlow's own. */
import { describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '#core/import/tensorboard/crc32c.ts';

describe('crc32c', () => {
  it('gives the Castagnoli check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('gives the RFC 3720 values for 32 zero bytes and 32 0xff bytes', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });

  it('checks a range inside a larger buffer, at every alignment', () => {
    const text = Buffer.from('xx123456789yy');
    expect(crc32c(text, 2, 11)).toBe(0xe3069283);
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37) % 256));
    for (let start = 0; start < 9; start++) expect(crc32c(bytes, start, 90)).toBe(crc32c(Buffer.from(bytes.subarray(start, 90))));
  });

  it('masks as tensorboardX does (values from its record_writer.masked_crc32c)', () => {
    const length = Buffer.alloc(8);
    length.writeUInt32LE(24, 0);
    expect(maskedCrc32c(length)).toBe(575373219);
    expect(maskedCrc32c(Buffer.from('hello tensorboard'))).toBe(3631509412);
  });
});
