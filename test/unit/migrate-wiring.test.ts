// Domain.migrate reaches src/migrate.ts through the registry the public entry loads.
import { describe, it, expect } from 'vitest';
import { Connection } from '../../src/index.js';

describe('Domain.migrate wiring', () => {
  it('runs the migration code: a target that is not a Connection is INVALID_ARGUMENT, nothing changed', async () => {
    const conn = await Connection.open('test:///default');
    try {
      const dom = await conn.domain('test');
      await expect(dom.migrate({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await dom.state()).state).toBe('running');
    } finally {
      await conn.close();
    }
  });
});
