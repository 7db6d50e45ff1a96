"""Files and directories at any location: a local path or a URI (file://, s3://, gs://, memory://, ...).

The one owner of file I/O. A location is a local path or a URI; `file://` and `local://` URIs name local
files. Its filesystem is pyarrow's own for local files and for the schemes pyarrow serves natively (s3, gs,
hdfs, abfs), fsspec's driver for any other scheme. `filesystem` gives it through fsspec's interface (globs,
listings, reads), `resolve` through pyarrow's (datasets, copies, output streams).

Every location a user gives is made absolute on the driver before it is shipped to Ray tasks, actors or
workers: they run in other working directories (Ray Train's workers in their trial directory).

Callers use this package's names; its modules: `locations` (pure string functions), `remote` (object
stores: S3 retries, block reads, storage errors), `files` (filesystems, queries, reads and writes),
`replace` (replacing a directory whole, a manifest's stage), `cache` (local copies of URIs).
"""

from ecomgpt.storage.cache import CACHE_ENTRIES_ENV, CACHE_ENV, DEFAULT_CACHE_ENTRIES, cache_root, local_dir
from ecomgpt.storage.files import (
    MANIFEST_FILE,
    delete_dir,
    exists,
    file_size,
    filesystem,
    fingerprint,
    glob,
    is_dir,
    is_empty_dir,
    list_files,
    make_dirs,
    open_binary,
    open_random_access,
    read_json,
    read_text,
    resolve,
    upload_dir,
    write_bytes,
    write_json,
    write_text,
)
from ecomgpt.storage.locations import (
    ARROW_SCHEMES,
    GLOB_CHARS,
    LOCAL_SCHEMES,
    absolute,
    basename,
    extension,
    has_glob,
    inside,
    is_local,
    is_uri,
    join,
    normalize,
    parent,
    scheme,
    spelled_like,
)
from ecomgpt.storage.remote import READ_BLOCK, S3_ATTEMPTS, StorageError
from ecomgpt.storage.replace import (
    COMPLETION_FILES,
    REPLACING_FILE,
    interrupted_stage,
    manifest_stage,
    replace_dir,
    staging_dir,
)

__all__ = [
    "ARROW_SCHEMES",
    "CACHE_ENTRIES_ENV",
    "CACHE_ENV",
    "COMPLETION_FILES",
    "DEFAULT_CACHE_ENTRIES",
    "GLOB_CHARS",
    "LOCAL_SCHEMES",
    "MANIFEST_FILE",
    "READ_BLOCK",
    "REPLACING_FILE",
    "S3_ATTEMPTS",
    "StorageError",
    "absolute",
    "basename",
    "cache_root",
    "delete_dir",
    "exists",
    "extension",
    "file_size",
    "filesystem",
    "fingerprint",
    "glob",
    "has_glob",
    "inside",
    "interrupted_stage",
    "is_dir",
    "is_empty_dir",
    "is_local",
    "is_uri",
    "join",
    "list_files",
    "local_dir",
    "make_dirs",
    "manifest_stage",
    "normalize",
    "open_binary",
    "open_random_access",
    "parent",
    "read_json",
    "read_text",
    "replace_dir",
    "resolve",
    "scheme",
    "spelled_like",
    "staging_dir",
    "upload_dir",
    "write_bytes",
    "write_json",
    "write_text",
]
