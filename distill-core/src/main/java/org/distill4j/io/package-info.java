/** File plumbing shared by every package: atomic writes and SHA-256 content hashes. */
package org.distill4j.io;
