# fish completion for bottle(1); installed as
# share/fish/vendor_completions.d/bottle.fish. Every candidate comes from
# the program itself, as plain lines:
#   bottle __complete verbs            VERB<TAB>ARGS<TAB>HELP
#   bottle __complete options [VERB]   OPTION<TAB>VALUE<TAB>HELP
#   bottle __complete sources          values of logs --source
#   bottle [-c FILE] __complete names  bottle names (configuration, state,
#                                      docker)

# __bottle_candidates: what to offer for the current token, as
# "CANDIDATE<TAB>HELP" lines (fish filters them by the token).
function __bottle_candidates
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l bin $words[1]
    set -l cfg
    set -l verb
    set -l vi 0
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        switch $w
            case -c --config
                set i (math $i + 1)
                if test $i -le (count $words)
                    set cfg -c $words[$i]
                end
            case '--config=*'
                set cfg -c (string replace -- --config= '' $w)
            case '-*'
            case '*'
                set verb $w
                set vi $i
                break
        end
        set i (math $i + 1)
    end
    set -l prev ''
    test (count $words) -ge 2; and set prev $words[-1]

    if test -z "$verb"
        if contains -- $prev -c --config
            __fish_complete_path $cur
            return
        end
        if string match -q -- '-*' $cur
            $bin __complete options 2>/dev/null | string replace -r '^([^\t]*)\t[^\t]*\t' '$1\t'
        else
            $bin __complete verbs 2>/dev/null | string replace -r '^([^\t]*)\t[^\t]*\t' '$1\t'
        end
        return
    end

    # exec: after "--" comes the command, in the VM
    if test "$verb" = exec; and contains -- -- $words[(math $vi + 1)..-1]
        return
    end

    # the value of an option: "--source vm" or "--source=vm"
    set -l opt $prev
    set -l pre ''
    if string match -q -- '--*=*' $cur
        set opt (string split -m1 = -- $cur)[1]
        set pre "$opt="
    end
    set -l opts ($bin __complete options $verb 2>/dev/null)
    set -l kind ''
    if string match -q -- '-*' $opt; and test "$opt" != --
        for line in $opts
            set -l f (string split \t -- $line)
            if test "$f[1]" = "$opt"
                set kind $f[2]
            end
        end
    end
    switch "$kind"
        case source
            for s in ($bin __complete sources 2>/dev/null)
                echo $pre$s
            end
            return
        case file
            __fish_complete_path (string replace -- "$pre" '' $cur)
            return
        case ''
        case '*'
            return
    end
    test -n "$pre"; and return

    if string match -q -- '-*' $cur
        string replace -r '^([^\t]*)\t[^\t]*\t' '$1\t' -- $opts
        return
    end

    # positional words: bottle names
    set -l args ''
    for line in ($bin __complete verbs 2>/dev/null)
        set -l f (string split \t -- $line)
        if test "$f[1]" = "$verb"
            set args $f[2]
        end
    end
    test -z "$args"; and return
    set -l given
    set -l j (math $vi + 1)
    while test $j -le (count $words)
        set -l w $words[$j]
        set -l p $words[(math $j - 1)]
        set j (math $j + 1)
        string match -q -- '-*' $w; and continue
        if string match -q -- '-*' $p; and test "$p" != --
            set -l k ''
            for line in $opts
                set -l f (string split \t -- $line)
                test "$f[1]" = "$p"; and set k $f[2]
            end
            test -n "$k"; and continue
        end
        set given $given $w
    end
    if test "$args" = name; and test (count $given) -gt 0
        return
    end
    for n in ($bin $cfg __complete names 2>/dev/null)
        contains -- $n $given; or echo $n
    end
end

complete -c bottle -f -a '(__bottle_candidates)'
