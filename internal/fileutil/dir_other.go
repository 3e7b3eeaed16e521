//go:build !unix

package fileutil

import (
	"io/fs"
	"os"
)

// checkDir accepts any directory where Unix owners and modes do not
// apply: on Windows, access is by ACL, and the usual places for such
// files, under %LocalAppData%, are private to the user.
func checkDir(string, fs.FileInfo) error { return nil }

// syncDir does nothing: directories cannot be opened for syncing here,
// and a rename (MoveFileEx on Windows) is made durable by the system.
func syncDir(*os.Root) error { return nil }
