package org.distill4j.cli;
public class DistillCommand { public static void main(String[] a){ } }
