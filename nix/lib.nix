# ldpin's Nix functions that need no nixpkgs: the flake exports them as
# `lib`, the overlay uses them, and tests evaluate them offline
# (nix-instantiate --eval), where nixpkgs cannot be fetched.
let
  inherit (builtins) attrNames concatStringsSep filter isAttrs isBool isFloat
    isInt isList isString replaceStrings substring toString typeOf;

  # A TOML basic string: backslash, quote, newline, return and tab escaped
  # (the control characters a Nix string literal can hold).
  quote = s: "\"" + replaceStrings
    [ "\\" "\"" "\n" "\r" "\t" ]
    [ "\\\\" "\\\"" "\\n" "\\r" "\\t" ] s + "\"";

  # Bare keys are A-Za-z0-9_-; anything else is quoted.
  bareKey = k: k != "" && builtins.match "[A-Za-z0-9_-]+" k != null;
  key = k: if bareKey k then k else quote k;

  value = where: v:
    if isBool v then (if v then "true" else "false")
    else if isInt v then toString v
    else if isFloat v then throw "ldpin: ${where}: floats are not used by ldpin.toml"
    else if isString v then quote v
    else if isList v then "[" + concatStringsSep ", " (map (value where) v) + "]"
    else throw "ldpin: ${where}: a ${typeOf v} cannot be written to ldpin.toml";
in rec {
  # Settings written as a Nix attribute set, as TOML text: top-level
  # values first, then one [table] per attribute set (one level, as
  # ldpin.toml has). Keys are sorted, so the text is the same for the same
  # settings. Example:
  #   toToml { pin = "store"; dlopen_dirs = [ "/nix/store/...-mesa/lib" ]; }
  toToml = settings:
    let
      names = attrNames settings;
      plain = filter (n: !isAttrs settings.${n}) names;
      tables = filter (n: isAttrs settings.${n}) names;
      line = prefix: n: v: "${key n} = ${value (prefix + n) v}\n";
      table = n:
        let t = settings.${n}; in
        "\n[${key n}]\n" + concatStringsSep "" (map (m:
          if isAttrs t.${m} then throw "ldpin: ${n}.${m}: ldpin.toml has one level of tables"
          else line "${n}." m t.${m}) (attrNames t));
    in
    concatStringsSep "" (map (n: line "" n settings.${n}) plain)
    + concatStringsSep "" (map table tables);

  # The channel tag written into every file's record (LDPIN_CHANNEL): the
  # nixpkgs release and revision it was built from, e.g.
  # "nixpkgs-24.11-1a2b3c4d5e6f". A revision is shortened to 12 digits.
  channelTag = { release, revision ? null }:
    "nixpkgs-${release}"
    + (if revision == null || revision == "" then ""
       else "-" + substring 0 12 revision);
}
