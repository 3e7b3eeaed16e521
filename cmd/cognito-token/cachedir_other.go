//go:build !unix

package main

import "io/fs"

// checkDir accepts any cache directory where Unix owners and modes do not
// apply: on Windows, access is by ACL, and the default directory, under
// %LocalAppData%, is private to the user.
func checkDir(string, fs.FileInfo) error { return nil }
