/**
 * Which files loadProject reads (filesUnder in project.ts): every file of the kind at any depth,
 * dot-folders and symbolic links (to files and to folders) included, in sorted order.
 */
import test from 'ava';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../../src/project.ts';
import { fakeTenant, tempWorkspace } from './support/fixtures.ts';

test('models at any depth, in dot-folders and behind symbolic links are read, in sorted order; other extensions are not', (t) => {
  const ws = tempWorkspace({
    'seeds/orders.csv': 'id\n1\n',
    'seeds/.archive/old_orders.csv': 'id\n1\n',
    'sql/models/b_model.sql': 'select 1 as x\n',
    'sql/models/a/deep/er/a_model.sql': 'select 1 as x\n',
    'sql/models/.drafts/draft_model.sql': 'select 1 as x\n',
    'sql/models/notes.txt': 'not a model',
    'sql/models/c_model.sql.bak': 'select 1 as x\n',
    'shared/linked_file.sql': 'select 1 as x\n',
    'shared/folder/linked_folder_model.sql': 'select 1 as x\n',
  });
  t.teardown(() => ws.cleanup());
  symlinkSync(join(ws.root, 'shared/linked_file.sql'), join(ws.root, 'sql/models/linked_file.sql'));
  symlinkSync(join(ws.root, 'shared/folder'), join(ws.root, 'sql/models/linked'));
  const project = loadProject(ws.root, fakeTenant(ws.root), {});
  const files = (kind: string) => [...project.nodes.values()].filter((n) => n.kind === kind).map((n) => n.file);
  t.deepEqual(files('model'), [
    'sql/models/.drafts/draft_model.sql',
    'sql/models/a/deep/er/a_model.sql',
    'sql/models/b_model.sql',
    'sql/models/linked/linked_folder_model.sql',
    'sql/models/linked_file.sql',
  ]);
  t.deepEqual(files('seed'), ['seeds/.archive/old_orders.csv', 'seeds/orders.csv']);
  t.deepEqual(files('snapshot'), [], 'no sql/snapshots folder: no snapshots');
});
