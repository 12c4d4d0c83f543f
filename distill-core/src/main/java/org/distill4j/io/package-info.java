/**
 * File plumbing shared by every package: atomic writes, SHA-256 content hashes, and line reading
 * bounded while it reads ({@link org.distill4j.io.BoundedLineReader}).
 */
package org.distill4j.io;
