/**
 * CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, not reflected, no final
 * XOR): the check value a small microcontroller computes in a few lines without a table;
 * "123456789" gives 0x29B1.
 */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
