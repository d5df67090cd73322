// Runs before `npm test`, after ensure-install.mjs (plain JavaScript, like it).
// The tests use programs from Debian beside the npm packages: nats-server
// (tests that stop and restart a NATS server start private ones), Chromium
// (the dashboard test; nothing is downloaded from a browser vendor) and
// shellcheck (the deploy scripts' test). When one is missing and this runs as
// root with apt-get, it is installed; otherwise this says what to install, and
// the tests that need it say so too (the shellcheck test is skipped).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

const missing = [
  { debianPackage: 'nats-server', present: onPath('nats-server') },
  { debianPackage: 'chromium', present: existsSync('/usr/bin/chromium') },
  { debianPackage: 'shellcheck', present: onPath('shellcheck') },
]
  .filter((tool) => !tool.present)
  .map((tool) => tool.debianPackage);

if (missing.length > 0) {
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    console.warn(`The tests need ${missing.join(' and ')}: install with \`apt-get install ${missing.join(' ')}\`.`);
  } else {
    console.log(`Installing ${missing.join(' and ')} for the tests (apt-get) …`);
    const apt = (...args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
    if (!apt('install', '-y', '-qq', ...missing) && !(apt('update', '-qq') && apt('install', '-y', '-qq', ...missing))) {
      console.warn(`Could not install ${missing.join(' and ')}; the tests that need them will fail.`);
    }
  }
}
