"""The add-on installs from a wheel the way OCA add-ons do (issue 11, packaging).

Builds the wheel with the ``whool`` backend of ``billing_coordinator/pyproject.toml``,
installs it into a throwaway venv and asks Odoo, in that venv, where the module is.
The build tools are pinned in ``tools/requirements-build.txt`` and cached in
``.cache/wheel-build`` (first run installs them from the configured package index).
"""

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import odoo
from odoo.modules.module import Manifest, get_module_path
from odoo.tests.common import BaseCase, tagged

MODULE = "billing_coordinator"
BRIDGE = "billing_coordinator_sale"

# Runs in the throwaway venv: which modules does Odoo find, what does pip know of them?
PROBE = """
import importlib.metadata, importlib.util, json, sys
from odoo.modules.module import Manifest, get_module_path
found = {}
for name in sys.argv[1:]:
    dist = importlib.metadata.distribution("odoo-addon-" + name)
    found[name] = {
        "module_path": get_module_path(name),
        "spec_origin": importlib.util.find_spec("odoo.addons." + name).origin,
        "manifest_version": Manifest.for_addon(name)["version"],
        "dist_version": dist.version,
        "requires": dist.requires,
    }
print(json.dumps(found))
"""


def _run(cmd, **kwargs):
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, check=False, **kwargs
    )
    if proc.returncode:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


@tagged("post_install", "-at_install", "bc_packaging")
class TestWheelPackaging(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon_dir = Path(get_module_path(MODULE))
        cls.repo = cls.addon_dir.parent
        cache = Path(os.environ.get("BC_CACHE") or cls.repo / ".cache")
        cls.build_python = cls._build_tools(cache / "wheel-build")
        cls.tmp = Path(tempfile.mkdtemp(prefix="bc-wheel-"))
        cls.addClassCleanup(subprocess.run, ["rm", "-rf", str(cls.tmp)], check=False)

    @classmethod
    def _build_tools(cls, venv):
        """A venv with the pinned build tools, made once, reused while the pins hold."""
        requirements = cls.repo / "tools" / "requirements-build.txt"
        marker = venv / ".requirements"
        python = venv / "bin" / "python"
        if not (
            python.exists()
            and marker.exists()
            and marker.read_text() == requirements.read_text()
        ):
            _run([sys.executable, "-m", "venv", "--clear", str(venv)])
            _run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)])
            marker.write_text(requirements.read_text())
        return python

    def _build_wheel(self, addon, dist):
        """The add-on's wheel built with whool, and the paths it holds."""
        _run(
            [
                str(self.build_python),
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                "--wheel-dir",
                str(dist),
                str(self.repo / addon),
            ]
        )
        wheels = list(dist.glob(f"odoo_addon_{addon}-19.0.*-py3-none-any.whl"))
        self.assertEqual(
            len(wheels), 1, "one wheel named after the add-on and the series"
        )
        with zipfile.ZipFile(wheels[0]) as whl:
            return wheels[0], set(whl.namelist())

    def test_wheel_installs_under_odoo_addons(self):
        dist = self.tmp / "dist"
        wheel, names = self._build_wheel(MODULE, dist)
        for path in (
            "__manifest__.py",
            "__init__.py",
            "security/ir.model.access.csv",
            "i18n/de.po",
            "static/description/icon.png",
        ):
            self.assertIn(f"odoo/addons/{MODULE}/{path}", names)
        bridge_wheel, names = self._build_wheel(BRIDGE, dist)
        for path in ("__manifest__.py", "i18n/de.po", "static/description/icon.png"):
            self.assertIn(f"odoo/addons/{BRIDGE}/{path}", names)

        # A throwaway venv: Odoo and its libraries as a user has them, plus our wheel.
        venv = self.tmp / "venv"
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        python = venv / "bin" / "python"
        site = Path(
            _run(
                [
                    str(python),
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ]
            ).strip()
        )
        odoo_root = Path(
            next(p for p in odoo.__path__ if Path(p, "release.py").exists())
        ).parent
        (site / "odoo-runtime.pth").write_text(
            f"{odoo_root}\n{sysconfig.get_paths()['purelib']}\n"
        )
        _run(
            [
                str(self.build_python),
                "-m",
                "pip",
                "--python",
                str(python),
                "install",
                "-q",
                "--no-deps",
                "--no-index",
                str(wheel),
                str(bridge_wheel),
            ]
        )

        found = json.loads(
            _run([str(python), "-I", "-c", PROBE, MODULE, BRIDGE], cwd=self.tmp)
        )
        requires = {}
        for name in (MODULE, BRIDGE):
            installed = site / "odoo" / "addons" / name
            self.assertEqual(Path(found[name]["module_path"]), installed)
            self.assertEqual(
                Path(found[name]["spec_origin"]), installed / "__init__.py"
            )
            manifest = Manifest.for_addon(name)
            self.assertEqual(found[name]["manifest_version"], manifest["version"])
            self.assertTrue(found[name]["dist_version"].startswith(manifest["version"]))
            requires[name] = {
                req.split(";")[0].replace(" ", "") for req in found[name]["requires"]
            }
        self.assertIn("odoo==19.0.*", requires[MODULE])
        self.assertIn("odoo-addon-report_xlsx==19.0.*", requires[MODULE])
        self.assertIn("python-stdnum", requires[MODULE])
        # The bridge needs the core (an add-on of ours) and Odoo's sale (part of odoo).
        self.assertIn("odoo-addon-billing_coordinator==19.0.*", requires[BRIDGE])
        self.assertIn("odoo==19.0.*", requires[BRIDGE])
