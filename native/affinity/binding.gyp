{
  "targets": [
    {
      "target_name": "blackhole_affinity",
      "sources": ["affinity.c"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=c11", "-Wall", "-Wextra"] }
    }
  ]
}
