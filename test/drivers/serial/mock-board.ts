import { SerialPortMock } from 'serialport';
import { SystemClock } from '../../../drivers/clock.js';
import { BoardFirmware } from '../../../drivers/serial/firmware.js';
import type { SerialBinding } from '../../../drivers/serial/transport.js';

/** @serialport/binding-mock, through serialport's own export of it (the package's ESM entry carries no types). */
export const MockBinding = SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;

let ports = 0;

/**
 * The simulated board's firmware behind @serialport/binding-mock: what the host writes
 * reaches the firmware, what the firmware sends comes back as received data, as on a line.
 */
export function mockBoard() {
  const path = `/dev/qkm-mock-board-${++ports}`;
  MockBinding.createPort(path, { echo: false, record: true });
  let port: MockPortBinding | null = null;
  const firmware = new BoardFirmware({
    clock: new SystemClock(),
    // A byte on a line arrives after it was sent, never inside the sender's write call.
    output: (bytes) => setImmediate(() => port?.isOpen && port.emitData(bytes)),
    ackTimeoutMs: 40,
  });
  const binding: SerialBinding = {
    list: () => MockBinding.list(),
    async open(options) {
      const p = await MockBinding.open(options);
      const write = p.write.bind(p);
      p.write = async (bytes: Buffer) => {
        await write(bytes);
        setImmediate(() => firmware.receive(Buffer.from(bytes)));
      };
      port = p;
      return p;
    },
  };
  /** Puts raw bytes on the line towards the host (noise, a half frame). */
  const inject = (bytes: Buffer) => port?.emitData(bytes);
  return { path, binding, firmware, inject, port: () => port };
}
