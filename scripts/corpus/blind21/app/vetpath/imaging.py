"""Imaging: study uploads to the radiology partner's PACS drop (FTP) and the X-ray preview thumbnails the
patient portal shows (rendered by the thumbs helper process)."""
from __future__ import annotations

import ftplib
import io
import subprocess
import sys

from . import runtime


def open_pacs_drop(host: str, port: int) -> ftplib.FTP:
    ftp = ftplib.FTP()
    ftp.connect(host, port)
    ftp.login("clinic", "pacs-drop")
    return ftp


def upload_study(cfg):
    study = f"STUDY-{cfg.get('unit', 1)}.dcm"
    runtime.announce("recv")
    ftp = open_pacs_drop("127.0.0.1", cfg.port)
    ftp.storbinary(f"STOR {study}", io.BytesIO(b"DICM" * 64))
    ftp.quit()


def render_xray_thumbnails(studies) -> bytes:
    proc = subprocess.Popen([sys.executable, "-m", "vetpath.thumbs", *studies], stdout=subprocess.PIPE)
    runtime.announce("wait4")
    if proc.wait() != 0:
        raise RuntimeError("thumbs failed")
    return proc.stdout.read()


def publish_imaging_previews(cfg):
    studies = [f"STUDY-{cfg.get('unit', 1) + n}" for n in range(cfg.get("rows", 1) + 2)]
    return render_xray_thumbnails(studies)
