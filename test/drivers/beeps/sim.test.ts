import { ManualClock } from '../../../drivers/clock.js';
import { SimBeeps } from '../../../drivers/beeps/sim.js';
import { beepsContract } from './contract.js';

beepsContract('sim', async () => {
  const backend = new SimBeeps(new ManualClock(0));
  return { backend, boot: async (pattern) => void backend.play(pattern) };
});
