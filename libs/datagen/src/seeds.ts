/**
 * `make generate-data`: the sample's four seeds at any size — regions, products, customers, and `rows`
 * order lines (two per order) — with the sample's columns and the values its tests accept, so every
 * model and test of the project runs on them. Deterministic: the same rows and seed give the same bytes
 * (xoroshiro128+ from pure-rand). Written a chunk at a time (memory stays flat at any size), each file
 * beside its final name and renamed at the end, so an interrupted run leaves the previous files.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TaskError } from '@mt/cli';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

const REGIONS: Array<[string, string]> = [
  ['Kanto', 'Japan'],
  ['Kansai', 'Japan'],
  ['California', 'United States'],
  ['Bavaria', 'Germany'],
  ['Hokkaido', 'Japan'],
  ['Kyushu', 'Japan'],
  ['Ontario', 'Canada'],
  ['New South Wales', 'Australia'],
  ['Île-de-France', 'France'],
  ['Lombardy', 'Italy'],
  ['Gyeonggi', 'South Korea'],
  ['Texas', 'United States'],
];
/** The categories the sample's accepted_values test allows, each with product names and a price range in cents. */
const CATEGORIES: Array<[string, string[], number, number]> = [
  ['Electronics', ['Laptop', 'Smartphone', 'Headphones', 'Monitor', 'Tablet', 'Camera'], 4_999, 199_999],
  ['Sports', ['Running Shoes', 'Yoga Mat', 'Tennis Racket', 'Bicycle Helmet', 'Dumbbells'], 1_499, 29_999],
  ['Books', ['Novel', 'Cookbook', 'Travel Guide', 'Biography', 'Textbook'], 899, 7_999],
  ['Home & Kitchen', ['Coffee Mug', 'Chef Knife', 'Blender', 'Toaster', 'Cutting Board'], 999, 24_999],
];
const FIRST = ['John', 'Jane', 'Bob', 'Alice', 'Charlie', 'Yuki', 'Haruto', 'Sakura', 'Ren', 'Mei', 'Lukas', 'Emma', 'Noah', 'Olivia', 'Min-jun'];
const LAST = ['Doe', 'Smith', 'Johnson', 'Brown', 'Wilson', 'Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Muller', 'Martin', 'Rossi', 'Kim', 'Lee'];

const DAY_MS = 86_400_000;
const ORDER_DAYS = 366; // 2024 is a leap year
const ORDER_START = Date.UTC(2024, 0, 1);
const SIGNUP_START = Date.UTC(2023, 0, 1);
const LINES_PER_ORDER = 2;
const FIRST_ORDER_ID = 1001;

export interface GeneratedSeeds {
  /** Files written, relative to the folder, with their data rows. */
  files: Array<{ name: string; rows: number }>;
}

export const MAX_ROWS = 100_000_000;

/** A seed of its own for each tenant (FNV-1a of the name), so two generated tenants differ. */
export function defaultSeed(name: string): number {
  let hash = 0x811c9dc5;
  for (const c of Buffer.from(name)) hash = Math.imul(hash ^ c, 0x01000193) >>> 0;
  return hash;
}

export async function generateSeeds(dir: string, options: { rows: number; seed: number }): Promise<GeneratedSeeds> {
  const { rows, seed } = options;
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS)
    throw new TaskError(
      'INVALID_GENERATE_OPTION',
      `ROWS must be a whole number from 1 to ${MAX_ROWS} (0 removes the generated seeds), not ${JSON.stringify(String(rows))}.`,
      {
        hint: 'e.g. make generate-data TENANT=tenant_a ROWS=1000000.',
      },
    );
  if (!Number.isInteger(seed)) throw new TaskError('INVALID_GENERATE_OPTION', `SEED must be a whole number, not ${JSON.stringify(String(seed))}.`);
  const rng = xoroshiro128plus(seed);
  const int = (from: number, to: number) => uniformInt(rng, from, to);
  const customers = Math.max(5, Math.ceil(rows / 50));
  const products = Math.max(5, Math.min(5_000, Math.ceil(rows / 200)));
  const days = Array.from({ length: ORDER_DAYS }, (_, d) => new Date(ORDER_START + d * DAY_MS).toISOString().slice(0, 10));
  const timestamp = (start: number, spanDays: number) => new Date(start + int(0, spanDays * 86_400 - 1) * 1000).toISOString().slice(0, 19).replace('T', ' ');

  mkdirSync(dir, { recursive: true });
  const files = new CsvFiles(dir);
  await files.write('regions', 'region_id,region_name,country', REGIONS.length, (i) => `${i + 1},${REGIONS[i][0]},${REGIONS[i][1]}`);

  const prices: number[] = [];
  await files.write('products', 'product_id,product_name,product_category,product_price,product_created_at', products, (i) => {
    const [category, names, low, high] = CATEGORIES[int(0, CATEGORIES.length - 1)];
    const cents = int(low, high);
    prices.push(cents);
    return `${i + 1},${names[int(0, names.length - 1)]} ${i + 1},${category},${money(cents)},${timestamp(SIGNUP_START, 365)}`;
  });

  await files.write('customers', 'customer_id,customer_name,customer_email,region_id,customer_created_at,updated_at', customers, (i) => {
    const first = FIRST[int(0, FIRST.length - 1)];
    const last = LAST[int(0, LAST.length - 1)];
    const created = timestamp(SIGNUP_START, 365);
    return `${i + 1},${first} ${last},${first.toLowerCase()}.${last.toLowerCase()}.${i + 1}@example.com,${int(1, REGIONS.length)},${created},${created}`;
  });

  let order = { id: FIRST_ORDER_ID - 1, customer: 0, day: '' };
  await files.write('orders', 'order_line_id,order_id,customer_id,product_id,order_date,quantity,total_amount', rows, (i) => {
    if (i % LINES_PER_ORDER === 0) order = { id: order.id + 1, customer: int(1, customers), day: days[int(0, ORDER_DAYS - 1)] };
    const product = int(1, products);
    const quantity = int(1, 5);
    return `${i + 1},${order.id},${order.customer},${product},${order.day},${quantity},${money(prices[product - 1] * quantity)}`;
  });
  files.commit();
  return { files: files.written };
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/** Each CSV written beside its name (`.orders.csv.partial`), renamed into place only once all are complete. */
class CsvFiles {
  readonly written: Array<{ name: string; rows: number }> = [];
  private readonly partial: string[] = [];

  constructor(private readonly dir: string) {}

  async write(name: string, header: string, rows: number, line: (i: number) => string): Promise<void> {
    const path = join(this.dir, `.${name}.csv.partial`);
    this.partial.push(path);
    const out = createWriteStream(path);
    try {
      let chunk = `${header}\n`;
      for (let i = 0; i < rows; i++) {
        chunk += `${line(i)}\n`;
        if (chunk.length >= 1 << 16) {
          if (!out.write(chunk)) await once(out, 'drain');
          chunk = '';
        }
      }
      out.end(chunk);
      await once(out, 'finish');
    } catch (err) {
      out.destroy();
      for (const p of this.partial) rmSync(p, { force: true });
      throw err;
    }
    this.written.push({ name, rows });
  }

  commit(): void {
    for (const { name } of this.written) renameSync(join(this.dir, `.${name}.csv.partial`), join(this.dir, `${name}.csv`));
  }
}
