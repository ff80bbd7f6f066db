/** Tests that need PostgreSQL read its URL from RUNELOG_TEST_PG_URL; each test gets a schema of its own. */
import pg from "pg";
import { parsePostgresUrl } from "../../src/store/postgres/index.js";

export const PG_URL = process.env.RUNELOG_TEST_PG_URL;
export const pgSkipReason = "RUNELOG_TEST_PG_URL is not set: PostgreSQL tests skipped (scripts/test-postgres.sh start sets it)";
if (!PG_URL) console.log(pgSkipReason);

let counter = 0;
/** The test server's URL with a fresh schema name. */
export function schemaUrl(label: string): string {
  const url = new URL(PG_URL!);
  url.searchParams.set("schema", `t_${label}_${process.pid}_${Date.now().toString(36)}_${counter++}`.toLowerCase().slice(0, 50));
  return url.toString();
}

export async function dropSchema(url: string): Promise<void> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
