// Interoperability check run by tedious_node.rs: the simulator as tedious (npm `tedious`, the
// pure-JavaScript TDS client under the `mssql` package) sees it, at tedious's DEFAULT settings
// but for the CA certificate that lets it verify the server's self-signed one: TDS 7.4,
// `encrypt: true` (PRELOGIN ENCRYPT_ON, the whole session in TLS, the certificate verified, as
// `trustServerCertificate` is false by default), its connection-options batch (`set textsize …`,
// `set transaction isolation level read committed`, …), parameterised queries as sp_executesql,
// transactions as Transaction Manager requests (MS-TDS 2.2.6.9).
// Usage: node tedious_client.js PORT PASSWORD CAFILE OTHER_CAFILE ENCRYPT [TDS_VERSION],
// ENCRYPT being `default`, `false` (PRELOGIN ENCRYPT_OFF: only the LOGIN7 in TLS) or `strict`
// (TDS 8.0: TLS before PRELOGIN); TDS_VERSION tedious's `tdsVersion` (`7_1` … `7_4`, default
// 7_4). OTHER_CAFILE holds a certificate that is not the server's: verification must fail.
// Exits non-zero on the first mismatch.
'use strict';

const fs = require('fs');
const assert = require('assert');
const { Connection, Request, TYPES } = require('tedious');

const [port, password, cafile, otherCafile, encrypt, tdsVersion] = process.argv.slice(2);

function connect(user, pw, ca = cafile) {
  const options = {
    port: Number(port),
    connectTimeout: 10000,
    requestTimeout: 10000,
    cryptoCredentialsDetails: { ca: fs.readFileSync(ca) },
  };
  if (tdsVersion) options.tdsVersion = tdsVersion;
  if (encrypt === 'false') options.encrypt = false;
  if (encrypt === 'strict') options.encrypt = 'strict';
  const connection = new Connection({
    server: 'localhost',
    authentication: { type: 'default', options: { userName: user, password: pw } },
    options,
  });
  return new Promise((resolve, reject) => {
    connection.on('connect', (err) => (err ? reject(err) : resolve(connection)));
    connection.connect();
  });
}

// Runs `request` through `how` (execSql, callProcedure, execSqlBatch); resolves with the rows
// (arrays of values) and the column metadata of the last result set.
function run(connection, request, how = 'execSql') {
  return new Promise((resolve, reject) => {
    const rows = [];
    let columns = [];
    const output = {};
    request.on('columnMetadata', (meta) => {
      columns = meta;
    });
    request.on('row', (cols) => rows.push(cols.map((c) => c.value)));
    request.on('returnValue', (name, value) => {
      output[name] = value;
    });
    request.callback = (err) => (err ? reject(err) : resolve({ rows, columns, output }));
    connection[how](request);
  });
}

const sql = (connection, text, params = []) => {
  const request = new Request(text, () => {});
  for (const [name, type, value] of params) request.addParameter(name, type, value);
  return run(connection, request, params.length ? 'execSql' : 'execSqlBatch');
};

const tx = (connection, what) =>
  new Promise((resolve, reject) => connection[what]((err) => (err ? reject(err) : resolve())));

async function main() {
  const connection = await connect('autodbaudit', password);

  // A batch: a result set; an unnamed column comes with an empty name, as on SQL Server.
  let r = await sql(connection,
    "SELECT name, is_disabled FROM sys.server_principals WHERE name = 'old_vendor'");
  assert.deepStrictEqual(r.rows, [['old_vendor', 1]]); // is_disabled is an int
  r = await sql(connection, 'SELECT @@TRANCOUNT');
  assert.strictEqual(r.columns[0].colName, '');
  assert.strictEqual(r.rows[0][0], 0, 'autocommit: no transaction open');

  // The session is encrypted as asked (sys.dm_exec_connections.encrypt_option).
  r = await sql(connection,
    'SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID');
  assert.strictEqual(r.rows[0][0], encrypt === 'false' ? 'FALSE' : 'TRUE', encrypt);
  // The TDS version the login negotiated (MS-TDS 2.2.7.14 LOGINACK TDSVersion; with strict
  // encryption tedious still logs in with 7.4's LOGIN7).
  r = await sql(connection,
    'SELECT protocol_version FROM sys.dm_exec_connections WHERE session_id = @@SPID');
  const versions = { '7_4': 0x74000004, '7_3_B': 0x730B0003, '7_2': 0x72090002, '7_1': 0x71000001 };
  assert.strictEqual(r.rows[0][0], versions[tdsVersion || '7_4'], r.rows[0][0].toString(16));

  // Parameterised queries: sp_executesql with typed parameters, OUTPUT parameters returned.
  r = await sql(connection,
    'SELECT name FROM sys.server_principals WHERE name = @name AND principal_id = @id',
    [['name', TYPES.NVarChar, 'sa'], ['id', TYPES.Int, 1]]);
  assert.deepStrictEqual(r.rows, [['sa']]);
  r = await sql(connection, 'SELECT @a, @b, @c', [
    ['a', TYPES.Int, 42], ['b', TYPES.Float, 2.5], ['c', TYPES.NVarChar, 'x'.repeat(5000)]]);
  assert.deepStrictEqual([r.rows[0][0], r.rows[0][1], r.rows[0][2].length], [42, 2.5, 5000]);
  {
    const request = new Request('SET @out = @in * 2', () => {});
    request.addParameter('in', TYPES.Int, 21);
    request.addOutputParameter('out', TYPES.Int);
    r = await run(connection, request);
    assert.strictEqual(r.output.out, 42);
  }
  // A procedure called by name (RPC).
  {
    const request = new Request('sp_configure', () => {});
    request.addParameter('configname', TYPES.VarChar, 'show advanced options');
    r = await run(connection, request, 'callProcedure');
    assert.strictEqual(r.rows[0][0], 'show advanced options');
    assert.deepStrictEqual(r.columns.map((c) => c.colName),
      ['name', 'minimum', 'maximum', 'config_value', 'run_value']);
  }

  // A prepared statement: sp_prepare (the handle comes back as an OUTPUT parameter),
  // sp_execute twice with other values, sp_unprepare.
  {
    const prepared = new Request(
      'SELECT name FROM sys.server_principals WHERE principal_id = @id', () => {});
    prepared.addParameter('id', TYPES.Int);
    await new Promise((resolve, reject) => {
      prepared.callback = (err) => (err ? reject(err) : resolve());
      connection.prepare(prepared);
    });
    assert.ok(Number.isInteger(prepared.handle), `handle ${prepared.handle}`);
    const execute = (id) => new Promise((resolve, reject) => {
      const rows = [];
      prepared.removeAllListeners('row');
      prepared.on('row', (cols) => rows.push(cols.map((c) => c.value)));
      prepared.callback = (err) => (err ? reject(err) : resolve(rows));
      connection.execute(prepared, { id });
    });
    assert.deepStrictEqual(await execute(1), [['sa']]);
    const second = await execute(2);
    assert.strictEqual(second.length, 1);
    assert.notStrictEqual(second[0][0], 'sa');
    await new Promise((resolve, reject) => {
      prepared.callback = (err) => (err ? reject(err) : resolve());
      connection.unprepare(prepared);
    });
  }

  // A procedure's OUTPUT parameter comes back in a RETURNVALUE token.
  {
    const request = new Request('xp_instance_regread', () => {});
    request.addParameter('rootkey', TYPES.NVarChar, 'HKEY_LOCAL_MACHINE');
    request.addParameter('key', TYPES.NVarChar, 'Software\\Microsoft\\MSSQLServer\\MSSQLServer');
    request.addParameter('value_name', TYPES.NVarChar, 'LoginMode');
    request.addOutputParameter('value', TYPES.Int);
    r = await run(connection, request, 'callProcedure');
    assert.ok([1, 2].includes(r.output.value), `LoginMode ${r.output.value}`);
  }

  // Transactions (Transaction Manager requests): a rollback undoes, a commit keeps.
  const q = "SELECT is_disabled FROM sys.server_principals WHERE name = 'old_vendor'";
  await tx(connection, 'beginTransaction');
  r = await sql(connection, 'SELECT @@TRANCOUNT');
  assert.strictEqual(r.rows[0][0], 1);
  await sql(connection, 'ALTER LOGIN old_vendor ENABLE');
  assert.strictEqual((await sql(connection, q)).rows[0][0], 0);
  await tx(connection, 'rollbackTransaction');
  assert.strictEqual((await sql(connection, q)).rows[0][0], 1, 'the rollback undid it');
  await tx(connection, 'beginTransaction');
  await sql(connection, 'ALTER LOGIN old_vendor ENABLE');
  await tx(connection, 'commitTransaction');
  r = await sql(connection, 'SELECT @@TRANCOUNT');
  assert.strictEqual(r.rows[0][0], 0);
  assert.strictEqual((await sql(connection, q)).rows[0][0], 0, 'the commit kept it');
  await sql(connection, 'ALTER LOGIN old_vendor DISABLE');

  // Errors: SQL Server's number, state, class and text; the connection stays usable.
  await assert.rejects(sql(connection, 'SELECT * FROM sys.no_such_view'), (err) => {
    assert.strictEqual(err.number, 208, err.message);
    assert.strictEqual(err.class, 16);
    assert.strictEqual(err.message, "Invalid object name 'sys.no_such_view'.");
    return true;
  });
  await assert.rejects(sql(connection, 'SELECT @p', [['q', TYPES.Int, 1]]), (err) => {
    assert.strictEqual(err.number, 137, err.message);
    assert.strictEqual(err.message, 'Must declare the scalar variable "@p".');
    return true;
  });
  assert.deepStrictEqual((await sql(connection, 'SELECT 1')).rows, [[1]]);
  connection.close();

  // A wrong password: 18456.
  await assert.rejects(connect('autodbaudit', 'wrong'), (err) => {
    assert.match(err.message, /Login failed for user 'autodbaudit'\./);
    return true;
  });

  // A disabled login: 18470's text.
  await assert.rejects(connect('old_vendor', 'Vendor#2009'), (err) => {
    assert.strictEqual(err.message,
      "Login failed for user 'old_vendor'. Reason: The account is disabled.");
    return true;
  });

  // A certificate the CA file does not vouch for is refused (trustServerCertificate: false).
  if (encrypt !== 'false') {
    await assert.rejects(connect('autodbaudit', password, otherCafile), (err) => {
      assert.match(String(err.cause || err.message), /self-signed certificate/, err.message);
      return true;
    });
  }

  console.log(`tedious ${encrypt} ${tdsVersion || '7_4'}: ok`);
}

// A client stuck waiting (a reply that never comes) fails instead of hanging the test.
setTimeout(() => {
  console.error('tedious client: timed out after 60 s');
  process.exit(2);
}, 60000).unref();

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
