"Package setup: every setting is read from settings.ini (nbdev 2), the single source of project metadata."
import ast, glob, shutil
from configparser import ConfigParser
from pathlib import Path
import setuptools
from setuptools.command.build_py import build_py

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']

requirements = cfg.get('requirements', '').split()
dev_requirements = cfg.get('dev_requirements', '').split()
lab_requirements = cfg.get('lab_requirements', '').split()
entry_points = cfg.get('console_scripts', '').split()

def shipped_files(root='.'):
    "(source, destination under the package) of every file the wheel ships, from `SHIPPED` in rudra_ml/config.py."
    tree = ast.parse(Path(root, cfg['lib_path'], 'config.py').read_text(encoding='utf-8'))
    shipped = next(ast.literal_eval(n.value) for n in tree.body
                   if isinstance(n, ast.Assign) and any(getattr(t, 'id', None) == 'SHIPPED' for t in n.targets))
    out = []
    for name, (src, patterns) in shipped.items():
        for pat in patterns:
            files = sorted(glob.glob(str(Path(root, src, pat))))
            if not files: raise FileNotFoundError(f"SHIPPED[{name!r}]: no file matches {src}/{pat}")
            out += [(f, Path('_shipped', name, Path(f).relative_to(Path(root, src)))) for f in files]
    return out

class BuildWithShipped(build_py):
    "build_py that also copies the shipped checkpoints and data into rudra_ml/_shipped/ of the build (not the source tree)."
    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False): return   # an editable install reads them from the checkout
        pkg = Path(self.build_lib, cfg['lib_path'])
        shutil.rmtree(pkg/'_shipped', ignore_errors=True)  # no stale files from an earlier build
        for src, dest in shipped_files():
            (pkg/dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, pkg/dest)

    def get_outputs(self, include_bytecode=1):
        outs = super().get_outputs(include_bytecode)
        if getattr(self, 'editable_mode', False): return outs
        return outs + [str(Path(self.build_lib, cfg['lib_path'], dest)) for _, dest in shipped_files()]

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    license='Apache-2.0',
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title(),
                 'Programming Language :: Python :: 3.11'],
    description=cfg['description'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    keywords=cfg['keywords'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['rudra_ml', 'rudra_ml.*']),
    include_package_data=True,
    install_requires=requirements,
    extras_require={'dev': dev_requirements, 'lab': lab_requirements},
    python_requires='>=' + cfg['min_python'],
    zip_safe=False,
    cmdclass={'build_py': BuildWithShipped},
    entry_points={'console_scripts': entry_points, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
