// node-postgres (the `pg` package, pinned in package.json) against a running `kmb server`.
//
// Run by tests/server/nodepg_test.py, which starts the server, installs the package with
// `npm ci` into the build directory and passes the connection through the environment:
// KMB_PORT, KMB_PASSWORD, KMB_TLS_CA (the server's self-signed certificate). Each check runs in
// order; the script prints `ok NAME` or `FAIL NAME` with the error, a last line
// `N passed, N failed`, and exits 1 when anything failed.
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const pg = require('pg')

const port = Number(process.env.KMB_PORT)
const password = process.env.KMB_PASSWORD
const base = { host: '127.0.0.1', port, user: 'admin', password, database: 'default', ssl: false }

// A client that remembers what the SASL exchange looked like: the mechanisms the server
// offered, the one node-postgres chose, and whether the server's final message (its proof
// that it knows the verifier; node-postgres checks the signature) arrived.
function tracedClient(config) {
  const client = new pg.Client(config)
  const trace = { offered: null, chosen: null, serverFinal: false }
  client.connection.on('authenticationSASL', (msg) => {
    trace.offered = msg.mechanisms
  })
  client.connection.on('authenticationSASLFinal', () => {
    trace.serverFinal = true
  })
  const send = client.connection.sendSASLInitialResponseMessage.bind(client.connection)
  client.connection.sendSASLInitialResponseMessage = (mechanism, response) => {
    trace.chosen = mechanism
    return send(mechanism, response)
  }
  return { client, trace }
}

async function withClient(fn, config = base) {
  const client = new pg.Client(config)
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function expectError(promise, code) {
  try {
    await promise
  } catch (error) {
    assert.equal(error.code, code, `expected SQLSTATE ${code}, got ${error.code}: ${error.message}`)
    return error
  }
  assert.fail(`expected an error with SQLSTATE ${code}, the statement succeeded`)
}

const checks = []
const check = (name, fn) => checks.push({ name, fn })

check('logs in with SCRAM-SHA-256 over plain TCP', async () => {
  const { client, trace } = tracedClient(base)
  await client.connect()
  try {
    assert.deepEqual(trace.offered, ['SCRAM-SHA-256'])  // no -PLUS without TLS
    assert.equal(trace.chosen, 'SCRAM-SHA-256')
    assert.equal(trace.serverFinal, true)
    const { rows } = await client.query('SELECT current_user AS u, current_database() AS d')
    assert.deepEqual(rows, [{ u: 'admin', d: 'default' }])
    const version = await client.query('SHOW server_version')
    assert.match(version.rows[0].server_version, /^15\./)
  } finally {
    await client.end()
  }
})

check('logs in with SCRAM-SHA-256-PLUS over verified TLS', async () => {
  const { client, trace } = tracedClient({
    ...base,
    ssl: { ca: fs.readFileSync(process.env.KMB_TLS_CA), servername: 'localhost' },
    enableChannelBinding: true,
  })
  await client.connect()
  try {
    assert.ok(trace.offered.includes('SCRAM-SHA-256-PLUS'), `offered ${trace.offered}`)
    assert.equal(trace.chosen, 'SCRAM-SHA-256-PLUS')
    assert.equal(trace.serverFinal, true)
    const { rows } = await client.query('SELECT 1 + 1 AS two')
    assert.equal(rows[0].two, 2)
  } finally {
    await client.end()
  }
})

check('a wrong password is refused with 28P01', async () => {
  const client = new pg.Client({ ...base, password: 'not the password' })
  const error = await expectError(client.connect(), '28P01')
  assert.match(error.message, /password authentication failed for user "admin"/)
})

check('an unknown database is refused with 3D000', async () => {
  const client = new pg.Client({ ...base, database: 'no_such_tenant' })
  await expectError(client.connect(), '3D000')
})

check('parameters and the types of result columns', async () => {
  await withClient(async (client) => {
    await client.query(`CREATE TABLE nodepg_types (
        id int PRIMARY KEY, big bigint, amount numeric(12, 3), ratio double precision,
        label text, flag boolean, raw bytea, day date, at timestamptz, ident uuid, doc jsonb)`)
    const at = new Date(Date.UTC(2026, 10, 29, 4, 5, 6, 789))
    const values = [1, '9007199254740993', '-12345.678', 0.25, 'héllo ☃', true,
      Buffer.from([0, 1, 254, 255]), '1999-12-31', at, '12345678-1234-5678-1234-567812345678',
      { a: [1, 2], b: 'x' }]
    const inserted = await client.query(
      'INSERT INTO nodepg_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', values)
    assert.equal(inserted.command, 'INSERT')
    assert.equal(inserted.rowCount, 1)
    await client.query('INSERT INTO nodepg_types (id) VALUES ($1)', [2])

    const result = await client.query('SELECT * FROM nodepg_types WHERE id = $1', [1])
    const oids = Object.fromEntries(result.fields.map((f) => [f.name, f.dataTypeID]))
    assert.deepEqual(oids, { id: 23, big: 20, amount: 1700, ratio: 701, label: 25, flag: 16,
      raw: 17, day: 1082, at: 1184, ident: 2950, doc: 3802 })
    const row = result.rows[0]
    assert.equal(row.id, 1)
    assert.equal(row.big, '9007199254740993')  // int8 comes back as a string: no precision lost
    assert.equal(row.amount, '-12345.678')
    assert.equal(row.ratio, 0.25)
    assert.equal(row.label, 'héllo ☃')
    assert.equal(row.flag, true)
    assert.deepEqual(row.raw, Buffer.from([0, 1, 254, 255]))
    assert.equal(row.day.getFullYear(), 1999)  // dates are parsed in local time
    assert.equal(row.day.getMonth(), 11)
    assert.equal(row.day.getDate(), 31)
    assert.equal(row.at.getTime(), at.getTime())
    assert.equal(row.ident, '12345678-1234-5678-1234-567812345678')
    assert.deepEqual(row.doc, { a: [1, 2], b: 'x' })

    const nulls = await client.query('SELECT big, label, doc FROM nodepg_types WHERE id = 2')
    assert.deepEqual(nulls.rows, [{ big: null, label: null, doc: null }])

    const computed = await client.query('SELECT $1::int * 2 AS doubled, $2::text || $3 AS joined',
      [21, 'ab', 'cd'])
    assert.deepEqual(computed.rows, [{ doubled: 42, joined: 'abcd' }])

    const arrays = await client.query({ text: 'SELECT id, label FROM nodepg_types ORDER BY id',
      rowMode: 'array' })
    assert.deepEqual(arrays.rows, [[1, 'héllo ☃'], [2, null]])
  })
})

check('transactions commit, roll back and fail', async () => {
  await withClient(async (client) => {
    await client.query('CREATE TABLE nodepg_accounts (id int PRIMARY KEY, balance int NOT NULL)')
    await client.query('BEGIN')
    await client.query('INSERT INTO nodepg_accounts VALUES ($1, $2)', [1, 100])
    await client.query('ROLLBACK')
    let count = await client.query('SELECT count(*)::int AS n FROM nodepg_accounts')
    assert.equal(count.rows[0].n, 0)

    await client.query('BEGIN')
    await client.query('INSERT INTO nodepg_accounts VALUES ($1, $2), ($3, $4)', [1, 100, 2, 50])
    await client.query('UPDATE nodepg_accounts SET balance = balance - 30 WHERE id = 1')
    await client.query('UPDATE nodepg_accounts SET balance = balance + 30 WHERE id = 2')
    const commit = await client.query('COMMIT')
    assert.equal(commit.command, 'COMMIT')
    const rows = await client.query('SELECT id, balance FROM nodepg_accounts ORDER BY id')
    assert.deepEqual(rows.rows, [{ id: 1, balance: 70 }, { id: 2, balance: 80 }])

    // An error fails the transaction: later statements are 25P02 until ROLLBACK.
    await client.query('BEGIN')
    await client.query('UPDATE nodepg_accounts SET balance = 0 WHERE id = 1')
    await expectError(client.query('INSERT INTO nodepg_accounts VALUES (2, 1)'), '23505')
    await expectError(client.query('SELECT 1'), '25P02')
    await client.query('ROLLBACK')
    count = await client.query('SELECT sum(balance)::int AS total FROM nodepg_accounts')
    assert.equal(count.rows[0].total, 150)
  })
})

check('errors carry SQLSTATE, detail and position', async () => {
  await withClient(async (client) => {
    const duplicate = await expectError(
      client.query('INSERT INTO nodepg_accounts VALUES ($1, $2)', [1, 5]), '23505')
    assert.equal(duplicate.severity, 'ERROR')
    assert.equal(duplicate.message,
      'duplicate key value violates unique constraint "nodepg_accounts_pkey"')
    assert.equal(duplicate.detail, 'Key (id)=(1) already exists.')
    const missing = await expectError(client.query('SELECT * FROM nope'), '42P01')
    assert.equal(missing.position, '15')
    await expectError(client.query('SELEC 1'), '42601')
    await expectError(client.query('SELECT 1 / 0'), '22012')
    await expectError(client.query('SELECT $1::int', ['x']), '22P02')
    // The connection is still usable.
    const { rows } = await client.query('SELECT 42 AS answer')
    assert.equal(rows[0].answer, 42)
  })
})

check('named prepared statements are parsed once and run many times', async () => {
  await withClient(async (client) => {
    // node-postgres sends Parse for a named statement only on its first use on a connection.
    const parses = []
    const parse = client.connection.parse.bind(client.connection)
    client.connection.parse = (query) => {
      parses.push(query.name)
      return parse(query)
    }
    const byId = { name: 'nodepg-balance-by-id', text: 'SELECT balance FROM nodepg_accounts WHERE id = $1' }
    const first = await client.query({ ...byId, values: [1] })
    const second = await client.query({ ...byId, values: [2] })
    const none = await client.query({ ...byId, values: [99] })
    assert.deepEqual(first.rows, [{ balance: 70 }])
    assert.deepEqual(second.rows, [{ balance: 80 }])
    assert.deepEqual(none.rows, [])
    assert.deepEqual(parses, ['nodepg-balance-by-id'])

    const insert = { name: 'nodepg-insert', text: 'INSERT INTO nodepg_accounts VALUES ($1, $2)' }
    for (let id = 10; id < 20; id++) await client.query({ ...insert, values: [id, id * 10] })
    await expectError(client.query({ ...insert, values: [10, 0] }), '23505')
    const total = await client.query('SELECT count(*)::int AS n FROM nodepg_accounts WHERE id >= 10')
    assert.equal(total.rows[0].n, 10)
  })
})

check('a pool runs concurrent statements on several connections', async () => {
  const pool = new pg.Pool({ ...base, max: 8 })
  try {
    await pool.query('CREATE TABLE nodepg_pool (id int PRIMARY KEY, pid int NOT NULL)')
    const inserts = []
    for (let id = 0; id < 64; id++) {
      inserts.push(pool.query('INSERT INTO nodepg_pool VALUES ($1, pg_backend_pid())', [id]))
    }
    await Promise.all(inserts)
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n, count(DISTINCT pid)::int AS backends FROM nodepg_pool')
    assert.equal(rows[0].n, 64)
    assert.ok(rows[0].backends > 1, `all inserts ran on ${rows[0].backends} connection(s)`)
  } finally {
    await pool.end()
  }
})

check('a larger result arrives whole', async () => {
  await withClient(async (client) => {
    await client.query('CREATE TABLE nodepg_many (id int PRIMARY KEY, label text NOT NULL)')
    const values = []
    const params = []
    for (let id = 0; id < 2000; id++) {
      values.push(`($${params.length + 1}, $${params.length + 2})`)
      params.push(id, `row ${id} `.repeat(8))
    }
    await client.query(`INSERT INTO nodepg_many VALUES ${values.join(', ')}`, params)
    const { rows } = await client.query('SELECT id, label FROM nodepg_many ORDER BY id')
    assert.equal(rows.length, 2000)
    rows.forEach((row, id) => {
      assert.equal(row.id, id)
      assert.equal(row.label, `row ${id} `.repeat(8))
    })
  })
})

async function main() {
  let passed = 0
  let failed = 0
  for (const { name, fn } of checks) {
    try {
      await fn()
      passed++
      console.log(`ok ${name}`)
    } catch (error) {
      failed++
      console.log(`FAIL ${name}\n${error && error.stack ? error.stack : error}`)
    }
  }
  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed === 0 ? 0 : 1
}

main()
