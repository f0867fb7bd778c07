import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { checkOutputFolder } from '../../common/output.ts';
import { checkPngPath } from '../../common/png.ts';
import { checkVideoPath } from '../../common/video.ts';

describe('output paths, checked before the work that fills them', () => {
  const folder = mkdtempSync(join(tmpdir(), 'rad-output-'));

  it('takes a file in an existing folder, and a bare file name (the working folder)', () => {
    expect(() => checkOutputFolder(join(folder, 'frame.png'), 'image file')).not.toThrow();
    expect(() => checkOutputFolder('frame.png', 'image file')).not.toThrow();
  });

  it('refuses a missing folder, or a file where the folder should be, naming the path and the folder', () => {
    const missing = join(folder, 'missing', 'frame.png');
    expect(() => checkOutputFolder(missing, 'image file')).toThrow(InputError);
    expect(() => checkOutputFolder(missing, 'image file')).toThrow(`image file ${missing}: the folder ${join(folder, 'missing')} does not exist`);
    const file = join(folder, 'a-file');
    writeFileSync(file, '');
    expect(() => checkOutputFolder(join(file, 'x.gif'), 'video file')).toThrow(`video file ${join(file, 'x.gif')}: ${file} is not a folder`);
  });

  it('refuses a folder it cannot write (unless root, who can write anywhere)', () => {
    const locked = mkdtempSync(join(tmpdir(), 'rad-locked-'));
    chmodSync(locked, 0o500);
    const check = () => checkOutputFolder(join(locked, 'x.png'), 'image file');
    if (process.getuid?.() === 0) expect(check).not.toThrow();
    else expect(check).toThrow('is not writable');
    chmodSync(locked, 0o700);
  });

  it('is part of the PNG and video checks', () => {
    expect(() => checkPngPath(join(folder, 'missing', 'x.png'))).toThrow(/does not exist/);
    expect(() => checkVideoPath(join(folder, 'missing', 'x.gif'))).toThrow(/does not exist/);
    expect(() => checkVideoPath(join(folder, 'x.gif'))).not.toThrow();
  });
});
