import { describe, expect, it } from 'vitest';
import { formatBytes, formatExactBytes } from '../../renderer/src/lib/bytes.ts';

describe('sizes on disk', () => {
  it('shows bytes in the largest binary unit that keeps the number under 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(5000)).toBe('4.9 KiB');
    expect(formatBytes(20_480)).toBe('20.0 KiB');
    expect(formatBytes(200 * 1024)).toBe('200 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(undefined)).toBe('');
  });

  it('spells out the exact count for a confirmation', () => {
    expect(formatExactBytes(1)).toBe('1 byte');
    expect(formatExactBytes(24_900)).toBe('24,900 bytes');
  });
});
