import { it } from 'vitest'
import Schema from 'async-validator'
it('x', async () => {
  for (const message of ['m', () => 'm']) {
    const s = new Schema({ username: [{ required: true, message, trigger: 'blur' } as never] })
    await s.validate({ username: '' }).then(() => console.log('AV ok', typeof message), (e) => console.log('AV err', typeof message, JSON.stringify(e.errors)))
  }
})
