import type { Database } from '../inputs.js';
import type { KubeObject } from '../kube/types.js';
import { literalEnv, secretEnv, type EnvEntry } from './env.js';
import { fillServiceSelector, fillWorkload, selectorLabels, stamp } from './fill.js';
import type { Resources } from './resources.js';
import { templateObject, type Templates } from './templates.js';

/** The databases: engine facts, their objects (Secret, StatefulSet, Service) and client env. Pure. */

/** The user and database every engine is set up with (see templates/<engine>.yaml). */
export const DATABASE_USER = 'app';
export const DATABASE_NAME = 'app';

interface Engine {
  /** Service and container port (templates/<engine>.yaml says the same; a test keeps them in step). */
  readonly port: number;
  readonly url: (host: string, password: string) => string;
  /** The engine's own client variables, besides DATABASE_URL. */
  readonly clientEnv: (secret: string, host: string, port: number) => EnvEntry[];
  /** Below this memory limit the engine is likely to be OOM-killed. */
  readonly comfortableMemoryMi: number;
  readonly title: string;
}

const enc = encodeURIComponent;

export const ENGINES: Readonly<Record<Database, Engine>> = {
  postgresql: {
    port: 5432,
    title: 'PostgreSQL 15',
    comfortableMemoryMi: 128,
    url: (host, pw) => `postgresql://${DATABASE_USER}:${enc(pw)}@${host}:5432/${DATABASE_NAME}`,
    clientEnv: (secret, host, port) => [
      secretEnv('POSTGRES_URL', secret, 'url'),
      literalEnv('PGHOST', host),
      literalEnv('PGPORT', String(port)),
      literalEnv('PGUSER', DATABASE_USER),
      secretEnv('PGPASSWORD', secret, 'password'),
      literalEnv('PGDATABASE', DATABASE_NAME),
    ],
  },
  mysql: {
    port: 3306,
    title: 'MySQL 8.0',
    comfortableMemoryMi: 512,
    url: (host, pw) => `mysql://${DATABASE_USER}:${enc(pw)}@${host}:3306/${DATABASE_NAME}`,
    clientEnv: (secret, host, port) => [
      secretEnv('MYSQL_URL', secret, 'url'),
      literalEnv('MYSQL_HOST', host),
      literalEnv('MYSQL_PORT', String(port)),
      literalEnv('MYSQL_USER', DATABASE_USER),
      secretEnv('MYSQL_PASSWORD', secret, 'password'),
      literalEnv('MYSQL_DATABASE', DATABASE_NAME),
    ],
  },
  mongodb: {
    port: 27017,
    title: 'MongoDB 7',
    comfortableMemoryMi: 512,
    // The user is created in the admin database by the image (MONGO_INITDB_ROOT_USERNAME).
    url: (host, pw) => `mongodb://${DATABASE_USER}:${enc(pw)}@${host}:27017/${DATABASE_NAME}?authSource=admin`,
    clientEnv: (secret) => [secretEnv('MONGODB_URL', secret, 'url'), secretEnv('MONGODB_URI', secret, 'url')],
  },
  redis: {
    port: 6379,
    title: 'Redis 7',
    comfortableMemoryMi: 64,
    url: (host, pw) => `redis://:${enc(pw)}@${host}:6379/0`,
    clientEnv: (secret, host, port) => [
      secretEnv('REDIS_URL', secret, 'url'),
      literalEnv('REDIS_HOST', host),
      literalEnv('REDIS_PORT', String(port)),
      secretEnv('REDIS_PASSWORD', secret, 'password'),
    ],
  },
};

/** `<engine>-credentials`: keys username, password, database (not redis), host, port, url. */
export function credentialsSecretName(db: Database): string {
  return `${db}-credentials`;
}

/** The Service (and StatefulSet) of an engine is named after it. */
export function serviceName(db: Database): string {
  return db;
}

/** Connection URL with the password; `host` is the Service name inside the namespace, or its FQDN. */
export function connectionUrl(db: Database, host: string, password: string): string {
  return ENGINES[db].url(host, password);
}

/** The values of the credentials Secret (plain; base64-encoded into `data` by databaseObjects). */
export function credentials(db: Database, password: string): Record<string, string> {
  const host = serviceName(db);
  return {
    ...(db === 'redis' ? {} : { username: DATABASE_USER, database: DATABASE_NAME }),
    password,
    host,
    port: String(ENGINES[db].port),
    url: connectionUrl(db, host, password),
  };
}

/**
 * What the app and the test Job get: DATABASE_URL (the first database), then each engine's own
 * variables. Passwords and URLs come from the Secret (secretKeyRef), never as literals.
 */
export function databaseClientEnv(databases: readonly Database[]): EnvEntry[] {
  const first = databases[0];
  if (first === undefined) return [];
  return [
    secretEnv('DATABASE_URL', credentialsSecretName(first), 'url'),
    ...databases.flatMap((db) => ENGINES[db].clientEnv(credentialsSecretName(db), serviceName(db), ENGINES[db].port)),
  ];
}

export interface DatabaseContext {
  readonly namespace: string;
  readonly password: string;
  /** Labels of the objects and pods (ownership + name + component). */
  readonly labels: Readonly<Record<string, string>>;
  readonly resources: Resources;
}

/** Secret, StatefulSet and Service of one engine, from templates/<engine>.yaml. */
export function databaseObjects(db: Database, templates: Templates, ctx: DatabaseContext): KubeObject[] {
  const secret = stamp(templateObject(templates, db, 'Secret'), ctx.namespace, ctx.labels);
  secret['data'] = Object.fromEntries(
    Object.entries(credentials(db, ctx.password)).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
  );

  const sts = stamp(templateObject(templates, db, 'StatefulSet'), ctx.namespace, ctx.labels);
  fillWorkload(sts, ctx.labels, selectorLabels(serviceName(db)), ctx.resources);

  const service = stamp(templateObject(templates, db, 'Service'), ctx.namespace, ctx.labels);
  fillServiceSelector(service, selectorLabels(serviceName(db)));
  return [secret, sts, service];
}
